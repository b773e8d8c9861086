-- Synergy extracts loaded into bronze: one row per extract date. The latest is what the
-- warehouse knows up to (macro latest_synergy_extract).
select extract_date
from {{ source('bronze', 'synergy_extracts') }}
where status = 'loaded'
