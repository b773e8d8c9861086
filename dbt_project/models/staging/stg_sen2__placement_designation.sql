-- The SRP designation of each SEN2 placement flagged resourced provision or SEN unit (SEN2
-- carries none; docs/DEFINITIONS.md, "Designation"): the designation the SRP register lists for
-- the placement's school in the academic year of its last day on roll within the return that
-- staging keeps it from (the latest holding it; the day before its leaving date, or that
-- return's census reference date when still open) when the register lists exactly one;
-- 'unknown' when it lists several ('ambiguous': a data-quality warning,
-- tests/warn_sen2_placement_designation_unknown.sql). A school the register does not list that
-- year gives no designation (null, 'not in register'): the placement is no SRP placement that
-- year, and silver resolves a blank per census year as for Synergy.
with latest as (
    select * from {{ ref('stg_sen2__placement_versions') }}
    qualify {{ sen2_is_latest_version('placement_key') }}
),

placement as (
    select placement_id, urn, last_day from latest
    where is_resourced_provision or is_sen_unit
),

register as (
    select urn, academic_year_start, count(*) as designations, min(designation) as only_designation
    from {{ ref('stg_srp__register') }}
    group by urn, academic_year_start
)

select
    pl.placement_id,
    {{ academic_year_start_of('pl.last_day') }} as academic_year_start,
    case
        when r.designations = 1 then r.only_designation
        when r.designations > 1 then 'unknown'
    end as designation,
    case
        when r.designations = 1 then 'only designation'
        when r.designations > 1 then 'ambiguous'
        else 'not in register'
    end as designation_source
from placement as pl
left join register as r
    on pl.urn = r.urn and r.academic_year_start = {{ academic_year_start_of('pl.last_day') }}
