-- The configured council's funding envelope (council.funding_envelope, written from councils/<LA code>-<name>.toml
-- by the council_configuration asset; orchestration/council.py validates it).
select * from {{ source('council', 'funding_envelope') }}
