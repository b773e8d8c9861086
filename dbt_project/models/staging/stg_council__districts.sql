-- The configured council's districts (council.districts, written from councils/<LA code>-<name>.toml
-- by the council_configuration asset; orchestration/council.py validates it).
select * from {{ source('council', 'districts') }}
