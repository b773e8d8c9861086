-- The case-management source silver reads: 'sen2' when the latest SEN2 return's extract date
-- is newer than the latest Synergy extract's (or no Synergy extract is loaded), else
-- 'synergy' (also when nothing has landed). A council feeds one source at a time: switching
-- source switches wholesale, never mixes (docs/SEN2.md, "Design of the next step").
with latest as (
    select
        (select max(extract_date) from {{ ref('stg_synergy__extracts') }}) as synergy_extract_date,
        (select max(extract_date) from {{ ref('stg_sen2__extracts') }}) as sen2_extract_date
)

select
    case
        when sen2_extract_date > coalesce(synergy_extract_date, sen2_extract_date - 1) then 'sen2'
        else 'synergy'
    end as source_system,
    synergy_extract_date,
    sen2_extract_date
from latest
