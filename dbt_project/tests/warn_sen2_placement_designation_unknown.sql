{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'silver_placement'}}}) }}
-- SEN2 placements flagged resourced provision or SEN unit whose designation is 'unknown': the
-- SRP register lists several designations for the school in that academic year, and SEN2
-- carries none (docs/DEFINITIONS.md, "Designation": an ambiguous blank). A warning: the pupils
-- are counted under 'unknown' in gold; the council records the designation (a Synergy extract)
-- or the register is checked. One row per school and academic year, with how many placements.

-- depends_on: {{ ref('silver_placement') }}  (the asset Dagster shows this check on)
select d.academic_year_start, pl.urn, count(*) as placements
from {{ ref('stg_sen2__placement_designation') }} as d
inner join {{ ref('stg_sen2__placement') }} as pl on d.placement_id = pl.placement_id
where d.designation = 'unknown'
group by d.academic_year_start, pl.urn
