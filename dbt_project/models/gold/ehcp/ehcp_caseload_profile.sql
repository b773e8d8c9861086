-- EHCP caseload profile (EQIA), per academic year's census day: EHC plan holders on census day,
-- requests received and plans issued in the academic year, by age band, sex, ethnicity group,
-- primary need, placement category and home district, for the council and by the pupil's HOME area and
-- district, in long format (dimension, category), with published comparator shares beside them.
{%- set holder_only_dimensions = ['primary_need', 'placement_category'] %}
{%- set dimensions = ['age_band', 'sex', 'ethnicity_group', 'primary_need', 'placement_category', 'home_district'] %}
with years as (
    select distinct y.academic_year, y.academic_year_start, y.start_date, y.end_date, y.census_date
    from {{ ref('silver_academic_years') }} as y
    inner join {{ ref('silver_census_state') }} as c on y.academic_year = c.academic_year
),

holders as (
    select
        c.academic_year,
        c.age,
        c.sex,
        c.ethnicity_group,
        coalesce(c.primary_need, 'Not recorded') as primary_need,
        c.placement_category,
        c.home_area,
        c.home_district,
        1 as is_holder,
        0 as is_request,
        0 as is_plan_issued
    from {{ ref('silver_census_state') }} as c
),

-- requests received and plans issued (assessment outcome I) in the academic year, with the
-- person's age on the same basis as holders (age on 31 August before the year starts)
case_events as (
    select
        y.academic_year,
        {{ nc_year('y.academic_year_start', 'p.reception_year') }} + 4 as age,
        p.sex,
        p.ethnicity_group,
        cast(null as {{ dbt.type_string() }}) as primary_need,
        cast(null as {{ dbt.type_string() }}) as placement_category,
        p.home_area,
        p.home_district,
        0 as is_holder,
        case when r.received_date between y.start_date and y.end_date then 1 else 0 end as is_request,
        case when r.assessment_outcome = 'I'
            and r.assessment_outcome_date between y.start_date and y.end_date then 1 else 0 end
            as is_plan_issued
    from {{ ref('silver_request') }} as r
    inner join {{ ref('silver_person') }} as p on r.person_key = p.person_key
    inner join years as y
        on r.received_date between y.start_date and y.end_date
        or (r.assessment_outcome = 'I' and r.assessment_outcome_date between y.start_date and y.end_date)
),

people as (
    select
        e.*,
        coalesce(b.age_band, 'Outside 0 to 25') as age_band
    from (select * from holders union all select * from case_events) as e
    left join {{ ref('ref_age_bands') }} as b on e.age = b.age
),

by_dimension as (
    {%- for dimension in dimensions %}
    select
        academic_year, home_area, home_district,
        '{{ dimension }}' as dimension,
        {{ dimension }} as category,
        is_holder, is_request, is_plan_issued
    from people
    {%- if dimension in holder_only_dimensions %}
    where is_holder = 1
    {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

{% set measures %}
        cast(sum(is_holder) as {{ dbt.type_int() }}) as holders,
        cast(sum(is_request) as {{ dbt.type_int() }}) as requests_received,
        cast(sum(is_plan_issued) as {{ dbt.type_int() }}) as plans_issued
{% endset %}

-- home_district is not broken down within a single district (it would be the district itself)
counted as (
    select 'county' as level, academic_year, null as area, null as district, dimension, category, {{ measures }}
    from by_dimension
    group by academic_year, dimension, category
    union all
    select 'area', academic_year, home_area, null, dimension, category, {{ measures }}
    from by_dimension
    group by academic_year, home_area, dimension, category
    union all
    select 'district', academic_year, home_area, home_district, dimension, category, {{ measures }}
    from by_dimension
    where dimension <> 'home_district'
    group by academic_year, home_area, home_district, dimension, category
),

comparators as (
    select
        dimension,
        category,
        max(case when population = 'holders' and geography = 'England' then share_pct end) as national_holders_pct,
        max(case when population = 'holders' and geography = 'LA' then share_pct end) as la_published_holders_pct,
        max(case when population = 'requests' and geography = 'LA' then share_pct end) as la_published_requests_pct,
        max(case when population = 'plans_issued' and geography = 'LA' then share_pct end) as la_published_plans_issued_pct
    from (
        -- national shares (seed) and the configured council's own (councils/*.toml)
        select population, geography, dimension, category, share_pct
        from {{ ref('ref_national_comparators') }}
        union all
        select population, 'LA', dimension, category, share_pct
        from {{ ref('ref_la_published_comparators') }}
    ) as published
    where population in ('holders', 'requests', 'plans_issued')
    group by dimension, category
),

{% set per_level_dimension = 'partition by c.academic_year, c.level, c.area, c.district, c.dimension' %}

shared as (
    select
        c.*,
        case when c.dimension in ('{{ holder_only_dimensions | join("', '") }}') then null
            else c.requests_received end as requests_received_applicable,
        case when c.dimension in ('{{ holder_only_dimensions | join("', '") }}') then null
            else c.plans_issued end as plans_issued_applicable,
        sum(c.holders) over ({{ per_level_dimension }}) as holders_total,
        sum(c.requests_received) over ({{ per_level_dimension }}) as requests_total,
        sum(c.plans_issued) over ({{ per_level_dimension }}) as plans_issued_total
    from counted as c
)

select
    s.level,
    case s.level when 'county' then {{ council_name() }} when 'area' then s.area else s.district end as level_key,
    s.academic_year,
    y.census_date,
    s.area,
    s.district,
    s.dimension,
    s.category,
    s.holders,
    round(1.0 * s.holders / nullif(s.holders_total, 0), 4) as holders_share,
    s.requests_received_applicable as requests_received,
    round(1.0 * s.requests_received_applicable / nullif(s.requests_total, 0), 4) as requests_share,
    s.plans_issued_applicable as plans_issued,
    round(1.0 * s.plans_issued_applicable / nullif(s.plans_issued_total, 0), 4) as plans_issued_share,
    cmp.national_holders_pct,
    cmp.la_published_holders_pct,
    cmp.la_published_requests_pct,
    cmp.la_published_plans_issued_pct
from shared as s
inner join years as y on s.academic_year = y.academic_year
left join comparators as cmp on s.dimension = cmp.dimension and s.category = cmp.category
