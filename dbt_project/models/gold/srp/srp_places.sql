-- SRP places: commissioned vs on roll, per SRP (school x designation) x academic year and
-- rolled up to district, area and county (the school's district), by SRP phase and designation.
-- SEN-unit pupils on roll have their own column (never SRP pupils); open SRP placements under a
-- ceased EHC plan are not on roll and are counted as a data-quality finding.
with register as (
    select academic_year, academic_year_start, urn, school_name, srp_id, designation, phase,
           district, area, commissioned_places
    from {{ ref('silver_srp') }}
    -- only years whose census day the loaded Synergy extracts cover
    where academic_year in (select academic_year from ({{ census_years_covered() }}) as covered)
),

schools as (
    select academic_year, urn, min(school_name) as school_name, min(srp_id) as srp_id,
           min(phase) as phase, min(district) as district, min(area) as area
    from register
    group by academic_year, urn
),

census_pupils as (
    select academic_year, urn, designation,
           cast(sum(is_srp_pupil) as {{ dbt.type_int() }}) as pupils_on_roll,
           cast(sum(is_sen_unit_pupil) as {{ dbt.type_int() }}) as sen_unit_pupils_on_roll,
           cast(sum(is_ceased_plan_placement) as {{ dbt.type_int() }}) as ceased_plan_placements
    from (
        select academic_year, urn, designation, 1 as is_srp_pupil, 0 as is_sen_unit_pupil,
               0 as is_ceased_plan_placement
        from {{ ref('silver_srp_census_pupils') }}
        union all
        select academic_year, urn, designation, 0, 1, 0
        from {{ ref('silver_sen_unit_census_pupils') }}
        union all
        select academic_year, urn, designation, 0, 0, 1
        from {{ ref('silver_srp_ceased_plan_placements') }}
    ) as pupils
    group by academic_year, urn, designation
),

returned as (
    select sub.academic_year, sub.urn, rp.designation,
           cast(sum(rp.pupils_with_ehcp) as {{ dbt.type_int() }}) as pupils_on_roll_returned,
           cast(sum(rp.pupils_without_ehcp) as {{ dbt.type_int() }}) as assessment_places_returned
    from {{ ref('silver_return_submission') }} as sub
    inner join {{ ref('silver_return_places') }} as rp on sub.submission_id = rp.submission_id
    where sub.is_current
    group by sub.academic_year, sub.urn, rp.designation
),

-- every commissioned SRP, plus any designation pupils are placed under that the register does
-- not list for the school (e.g. 'unknown'), so that no pupil on roll is dropped
srp_rows as (
    select
        coalesce(r.academic_year, c.academic_year) as academic_year,
        coalesce(r.urn, c.urn) as urn,
        coalesce(r.designation, c.designation) as designation,
        r.srp_id is not null as is_commissioned,
        coalesce(r.commissioned_places, 0) as commissioned_places,
        coalesce(c.pupils_on_roll, 0) as pupils_on_roll,
        coalesce(c.sen_unit_pupils_on_roll, 0) as sen_unit_pupils_on_roll,
        coalesce(c.ceased_plan_placements, 0) as ceased_plan_placements
    from register as r
    full outer join census_pupils as c
        on r.academic_year = c.academic_year and r.urn = c.urn and r.designation = c.designation
),

school_level as (
    select
        s.academic_year,
        sc.area,
        sc.district,
        s.urn,
        sc.school_name,
        sc.srp_id,
        coalesce(reg.phase, sc.phase) as phase,
        s.designation,
        case when s.is_commissioned then 1 else 0 end as srp_count,
        s.commissioned_places,
        s.pupils_on_roll,
        s.sen_unit_pupils_on_roll,
        s.ceased_plan_placements,
        ret.pupils_on_roll_returned,
        ret.assessment_places_returned,
        greatest(s.commissioned_places - s.pupils_on_roll, 0) as vacancies,
        greatest(s.pupils_on_roll - s.commissioned_places, 0) as over_subscription
    from srp_rows as s
    inner join schools as sc on s.academic_year = sc.academic_year and s.urn = sc.urn
    left join register as reg
        on s.academic_year = reg.academic_year and s.urn = reg.urn and s.designation = reg.designation
    left join returned as ret
        on s.academic_year = ret.academic_year and s.urn = ret.urn and s.designation = ret.designation
),

{% set measures %}
        cast(sum(srp_count) as {{ dbt.type_int() }}) as srp_count,
        cast(sum(commissioned_places) as {{ dbt.type_int() }}) as commissioned_places,
        cast(sum(pupils_on_roll) as {{ dbt.type_int() }}) as pupils_on_roll,
        cast(sum(sen_unit_pupils_on_roll) as {{ dbt.type_int() }}) as sen_unit_pupils_on_roll,
        cast(sum(ceased_plan_placements) as {{ dbt.type_int() }}) as ceased_plan_placements,
        cast(sum(pupils_on_roll_returned) as {{ dbt.type_int() }}) as pupils_on_roll_returned,
        cast(sum(assessment_places_returned) as {{ dbt.type_int() }}) as assessment_places_returned,
        cast(sum(vacancies) as {{ dbt.type_int() }}) as vacancies,
        cast(sum(over_subscription) as {{ dbt.type_int() }}) as over_subscription
{% endset %}

rolled_up as (
    select
        'school' as level, academic_year, area, district, urn, school_name, srp_id, phase,
        designation, srp_count, commissioned_places, pupils_on_roll, sen_unit_pupils_on_roll,
        ceased_plan_placements, pupils_on_roll_returned, assessment_places_returned, vacancies,
        over_subscription
    from school_level
    {% for level, keys in [('district', 'area, district'), ('area', 'area'), ('county', none)] %}
    union all
    select
        '{{ level }}' as level,
        academic_year,
        {{ 'area' if level != 'county' else 'null' }} as area,
        {{ 'district' if level == 'district' else 'null' }} as district,
        null as urn, null as school_name, null as srp_id,
        case when grouping(phase) = 1 then 'All' else phase end as phase,
        case when grouping(designation) = 1 then 'All' else designation end as designation,
        {{ measures }}
    from school_level
    group by grouping sets (
        (academic_year, {{ keys ~ ', ' if keys }}phase, designation),
        (academic_year, {{ keys ~ ', ' if keys }}phase),
        (academic_year, {{ keys ~ ', ' if keys }}designation),
        (academic_year{{ ', ' ~ keys if keys }})
    )
    {% endfor %}
)

select
    level,
    {{ level_key() }} as level_key,
    academic_year,
    area,
    district,
    urn,
    school_name,
    srp_id,
    phase,
    designation,
    srp_count,
    commissioned_places,
    pupils_on_roll,
    pupils_on_roll_returned,
    assessment_places_returned,
    case when commissioned_places > 0
        then round(100.0 * pupils_on_roll / commissioned_places, 1) end as occupancy_pct,
    vacancies,
    over_subscription,
    sen_unit_pupils_on_roll,
    ceased_plan_placements
from rolled_up
