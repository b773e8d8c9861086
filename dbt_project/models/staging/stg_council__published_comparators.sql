-- The configured council's published comparators (council.published_comparators, written from councils/<LA code>-<name>.toml
-- by the council_configuration asset; orchestration/council.py validates it).
select * from {{ source('council', 'published_comparators') }}
