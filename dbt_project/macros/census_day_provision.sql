{#- Pupils of a provision at a school the SRP register lists, on each covered census day: one
    row per person x academic year x school. `provision` 'srp' = a resourced-provision placement
    (never one flagged SEN unit: SEN-unit pupils are never SRP pupils); 'sen_unit' = a placement
    flagged SEN unit. The placement is on roll on census day; `plan_status` 'active' keeps the
    placements whose EHC plan is active on census day (the pupils on roll), 'ceased' those whose
    plan had ceased on or before it (not on roll: a data-quality finding). A person with several
    such placements at the school counts once, an active plan first, then the lowest rank.
    Designation = the placement's srp_designation; if blank, the school's only designation that
    year; if blank and the school has several, 'unknown'. -#}
{% macro census_day_provision_pupils(provision, plan_status='active') -%}
{%- set placement_filter = {
    'srp': 'pl.is_resourced_provision and not coalesce(pl.is_sen_unit, false)',
    'sen_unit': 'pl.is_sen_unit',
}[provision] -%}
with srp_schools as (
    select
        urn,
        academic_year,
        academic_year_start,
        count(*) as designation_count,
        min(designation) as only_designation
    from {{ ref('silver_srp') }}
    group by urn, academic_year, academic_year_start
),

on_roll as (
    select
        pl.person_key,
        pl.placement_key,
        pl.urn,
        pl.placement_rank,
        pl.srp_designation,
        pl.distance_km,
        s.academic_year,
        s.academic_year_start,
        s.designation_count,
        s.only_designation,
        y.census_date,
        case
            when {{ on_roll_at('pn.start_date', 'pn.cease_date', 'y.census_date') }} then 'active'
            when pn.cease_date <= y.census_date then 'ceased'
            else 'not started'
        end as plan_status
    from {{ ref('silver_placement') }} as pl
    inner join {{ ref('silver_plan') }} as pn on pl.plan_key = pn.plan_key
    inner join srp_schools as s on pl.urn = s.urn
    inner join {{ ref('silver_academic_years') }} as y on s.academic_year_start = y.academic_year_start
    where {{ placement_filter }}
      and y.census_date <= ({{ latest_synergy_extract() }})
      and y.census_date >= ({{ first_census_covered() }})
      and {{ on_roll_at('pl.entry_date', 'pl.leaving_date', 'y.census_date') }}
),

one_per_school as (
    select
        *,
        row_number() over (
            partition by person_key, urn, academic_year
            order by plan_status = 'active' desc, plan_status = 'ceased' desc, placement_rank,
                     placement_key
        ) as pick
    from on_roll
)

select
    o.person_key,
    o.academic_year,
    o.academic_year_start,
    o.census_date,
    o.urn,
    case
        when o.srp_designation is not null then o.srp_designation
        when o.designation_count = 1 then o.only_designation
        else 'unknown'
    end as designation,
    case
        when o.srp_designation is not null then 'placement'
        when o.designation_count = 1 then 'only designation'
        else 'ambiguous'
    end as designation_source,
    o.placement_rank = 1 as is_main_placement,
    {{ nc_year('o.academic_year_start', 'p.reception_year') }} as nc_year,
    {{ phase_of_nc_year(nc_year('o.academic_year_start', 'p.reception_year')) }} as pupil_phase,
    p.home_district,
    p.home_area,
    o.distance_km
from one_per_school as o
inner join {{ ref('silver_person') }} as p on o.person_key = p.person_key
where o.pick = 1 and o.plan_status = '{{ plan_status }}'
{%- endmacro %}
