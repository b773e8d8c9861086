-- Phase-transfer pathways: where primary SRP Year 6 pupils go at Year 7, per pupil's HOME
-- district x designation x transfer year, against the secondary SRP Year 7 places commissioned
-- in that district for the designation; rolled up to area and county and designation 'All'.
{#- destination categories, in the order the report lists them -#}
{% set destinations = ['secondary_srp_same_designation', 'secondary_srp_other_designation',
                       'mainstream', 'special_state_funded', 'independent_non_maintained',
                       'other_arrangement', 'no_plan_or_left'] %}
with years as (
    {{ census_years_covered() }}
),

register as (
    select academic_year, academic_year_start, urn, designation, phase, district, area,
           commissioned_places
    from {{ ref('silver_srp') }}
),

-- transfer year Y: a register year whose census day and Y + 1's census day the data covers
transfer_years as (
    select y.academic_year, y.academic_year_start, next_year.academic_year as entry_year
    from years as y
    inner join years as next_year on next_year.academic_year_start = y.academic_year_start + 1
    where y.academic_year in (select academic_year from register)
),

srp_pupils as (
    select * from {{ ref('int_srp_census_pupil_phases') }}
),

-- Year 6 pupils in a primary SRP on census day of Y: one row per pupil (main placement first)
year6 as (
    select
        p.person_key, p.academic_year, p.academic_year_start, p.designation, p.home_district,
        p.home_area,
        row_number() over (
            partition by p.person_key, p.academic_year order by p.is_main_placement desc, p.urn
        ) as pick
    from srp_pupils as p
    inner join transfer_years as t on p.academic_year = t.academic_year
    where p.nc_year = 6 and p.srp_phase = 'Primary'
),

classified as (
    select
        c.academic_year,
        c.home_area as area,
        c.home_district as district,
        c.designation,
        case
            when cs.person_key is null then 'no_plan_or_left'
            when d.person_key is not null and d.srp_phase = 'Secondary' then
                case when d.designation = c.designation
                    then 'secondary_srp_same_designation'
                    else 'secondary_srp_other_designation' end
            when cs.main_urn is null then 'other_arrangement'
            when cs.placement_category = 'Mainstream school' then 'mainstream'
            when cs.placement_category = 'State-funded special school' then 'special_state_funded'
            when cs.placement_category in (
                'Independent or non-maintained special school', 'Independent mainstream school'
            ) then 'independent_non_maintained'
            else 'other_arrangement'
        end as destination
    from year6 as c
    left join {{ ref('silver_census_state') }} as cs
        on c.person_key = cs.person_key and cs.academic_year_start = c.academic_year_start + 1
    left join srp_pupils as d
        on cs.person_key = d.person_key and cs.academic_year = d.academic_year
        and cs.main_urn = d.urn and d.is_main_placement
    where c.pick = 1
),

cohort as (
    select
        academic_year, area, district, designation,
        count(*) as year6_pupils
        {%- for code in destinations %},
        sum(case when destination = '{{ code }}' then 1 else 0 end) as to_{{ code }}
        {%- endfor %}
    from classified
    group by academic_year, area, district, designation
),

-- secondary SRP places in the year the cohort enters Year 7, by the SCHOOL's district
places as (
    select t.academic_year, r.area, r.district, r.designation,
           sum(r.commissioned_places) as secondary_srp_places
    from register as r
    inner join transfer_years as t on r.academic_year = t.entry_year
    where r.phase = 'Secondary'
    group by t.academic_year, r.area, r.district, r.designation
),

district_rows as (
    select
        coalesce(c.academic_year, p.academic_year) as academic_year,
        coalesce(c.area, p.area) as area,
        coalesce(c.district, p.district) as district,
        coalesce(c.designation, p.designation) as designation,
        coalesce(c.year6_pupils, 0) as year6_pupils,
        {%- for code in destinations %}
        coalesce(c.to_{{ code }}, 0) as to_{{ code }},
        {%- endfor %}
        coalesce(p.secondary_srp_places, 0) as secondary_srp_places
    from cohort as c
    full outer join places as p
        on c.academic_year = p.academic_year and c.district = p.district
        and c.designation = p.designation
),

{% set measures = ['year6_pupils'] %}
{% for code in destinations %}{% do measures.append('to_' ~ code) %}{% endfor %}
{% do measures.append('secondary_srp_places') %}
rolled_up as (
    {%- for level, keys in [('district', 'area, district'), ('area', 'area'), ('county', none)] %}
    {{ 'union all' if not loop.first }}
    select
        '{{ level }}' as level,
        academic_year,
        {{ 'area' if level != 'county' else 'null' }} as area,
        {{ 'district' if level == 'district' else 'null' }} as district,
        case when grouping(designation) = 1 then 'All' else designation end as designation,
        {%- for m in measures %}
        cast(sum({{ m }}) as {{ dbt.type_int() }}) as {{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from district_rows
    group by grouping sets (
        (academic_year, {{ keys ~ ', ' if keys }}designation),
        (academic_year{{ ', ' ~ keys if keys }})
    )
    {%- endfor %}
)

select
    level,
    case level when 'county' then {{ council_name() }} when 'area' then area else district end as level_key,
    r.academic_year as transfer_year,
    t.entry_year,
    area,
    district,
    designation,
    year6_pupils,
    {%- for code in destinations %}
    to_{{ code }},
    {%- endfor %}
    {%- for code in destinations %}
    {{ safe_ratio('to_' ~ code, 'year6_pupils') }} as to_{{ code }}_share,
    {%- endfor %}
    cast(to_secondary_srp_same_designation + to_secondary_srp_other_designation as {{ dbt.type_int() }})
        as continuing_to_secondary_srp,
    {{ safe_ratio('to_secondary_srp_same_designation + to_secondary_srp_other_designation', 'year6_pupils') }}
        as continuing_to_secondary_srp_share,
    secondary_srp_places,
    round(secondary_srp_places / 5.0, 1) as year7_places,
    round(year6_pupils - secondary_srp_places / 5.0, 1) as year7_places_gap
from rolled_up as r
inner join transfer_years as t on r.academic_year = t.academic_year
