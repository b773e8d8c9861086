-- The configured council's la (council.la, written from councils/<LA code>-<name>.toml
-- by the council_configuration asset; orchestration/council.py validates it).
select * from {{ source('council', 'la') }}
