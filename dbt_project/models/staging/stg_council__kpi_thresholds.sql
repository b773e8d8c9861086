-- The configured council's kpi thresholds (council.kpi_thresholds, written from councils/<LA code>-<name>.toml
-- by the council_configuration asset; orchestration/council.py validates it).
select * from {{ source('council', 'kpi_thresholds') }}
