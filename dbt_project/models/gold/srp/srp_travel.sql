-- Travel from home to SRP: per SRP (school x designation) x academic year over the pupils on
-- roll on census day (school rows carry the school's geography), rolled up by where the pupils
-- LIVE: their home district, home area and the county (designation 'All' = every designation),
-- so a district with no SRP of its own still shows how far its children travel; each SRP's
-- own district and area ('All') and the county have a row too (0 pupils when nobody is on
-- roll there: a year with empty SRPs keeps its hierarchy). Distances are
-- straight-line km; unknown distances are never counted as 0.
with years as (
    {{ census_years_covered() }}
),

register as (
    select r.academic_year, r.urn, r.designation
    from {{ ref('silver_srp') }} as r
    inner join years as y on r.academic_year = y.academic_year
),

schools as (
    select academic_year, urn, min(school_name) as school_name, min(district) as district,
           min(area) as area
    from {{ ref('silver_srp') }}
    group by academic_year, urn
),

pupils as (
    select c.academic_year, c.urn, c.designation, c.person_key, c.home_area, c.home_district,
           c.distance_km
    from {{ ref('silver_srp_census_pupils') }} as c
    inner join years as y on c.academic_year = y.academic_year
),

-- every commissioned SRP (empty ones too) and every designation pupils are placed under
pupil_rows as (
    select
        coalesce(p.academic_year, r.academic_year) as academic_year,
        s.area,
        s.district,
        coalesce(p.urn, r.urn) as urn,
        s.school_name,
        coalesce(p.designation, r.designation) as designation,
        p.person_key,
        p.home_area,
        p.home_district,
        p.distance_km,
        case when p.home_district <> 'Unknown' and p.home_district <> s.district then 1 else 0 end
            as lives_in_other_district,
        case when p.person_key is not null and p.distance_km is null then 1 else 0 end
            as distance_unknown
    from pupils as p
    full outer join register as r
        on p.academic_year = r.academic_year and p.urn = r.urn and p.designation = r.designation
    inner join schools as s
        on coalesce(p.academic_year, r.academic_year) = s.academic_year
        and coalesce(p.urn, r.urn) = s.urn
),

-- the pupils by where they live, for the district, area and county rows
home_rows as (
    select academic_year, home_area as area, home_district as district, urn, school_name,
           designation, person_key, distance_km, lives_in_other_district, distance_unknown
    from pupil_rows
    where person_key is not null
    union all
    -- each SRP row once more without a pupil, at the SCHOOL's district and area, so a year or a
    -- district whose SRPs have nobody on roll still has its roll-up rows (0 pupils): the
    -- school's district and area ('All') and the county (each designation and 'All')
    select distinct academic_year, area, district, null, null, designation, null, null, 0, 0
    from pupil_rows
),

rolled_up as (
    {%- for level, keys in rollup_levels() %}
    {{ 'union all' if not loop.first }}
    select
        {{ level_columns(level) }}
        case when grouping(designation) = 1 then 'All' else designation end as designation,
        cast(count(person_key) as {{ dbt.type_int() }}) as pupils_on_roll,
        cast(count(distance_km) as {{ dbt.type_int() }}) as pupils_with_known_distance,
        round(avg(distance_km), 2) as mean_distance_km,
        round({{ percentile('distance_km', 0.5) }}, 2) as median_distance_km,
        round({{ percentile('distance_km', 0.9) }}, 2) as p90_distance_km,
        cast(sum(lives_in_other_district) as {{ dbt.type_int() }}) as pupils_from_other_district,
        cast(sum(distance_unknown) as {{ dbt.type_int() }}) as pupils_distance_unknown
    from {{ 'pupil_rows' if level == 'school' else 'home_rows' }}
    group by grouping sets (
        (academic_year, {{ keys ~ ', ' if keys }}designation)
        {%- if level != 'school' %},
        (academic_year{{ ', ' ~ keys if keys }})
        {%- endif %}
    )
    {%- if level in ('district', 'area') %}
    -- a district or area's row per designation only where its children are on roll
    having count(person_key) > 0 or grouping(designation) = 1
    {%- endif %}
    {%- endfor %}
)

select
    level,
    {{ level_key('') }} as level_key,
    academic_year,
    area,
    district,
    urn,
    school_name,
    designation,
    pupils_on_roll,
    pupils_with_known_distance,
    mean_distance_km,
    median_distance_km,
    p90_distance_km,
    pupils_from_other_district,
    {{ safe_ratio('pupils_from_other_district', 'pupils_on_roll') }} as from_other_district_share,
    pupils_distance_unknown,
    {{ safe_ratio('pupils_distance_unknown', 'pupils_on_roll') }} as distance_unknown_share
from rolled_up
