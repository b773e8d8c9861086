-- The configured council's RAG thresholds of the SRP indicators in gold.srp_kpis.
select kpi, direction, green_from, amber_from, description
from {{ ref('stg_council__kpi_thresholds') }}
