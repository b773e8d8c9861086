-- EHC plan holders on census day by single year of age x main placement category, for the council and
-- by the pupil's HOME area and district, with each category's share of the holders of that age
-- (shows the age 11 -> 12 move from mainstream to special and independent schools).
with holders as (
    select
        c.academic_year,
        c.census_date,
        cast(c.age as {{ dbt.type_int() }}) as age,
        coalesce(b.age_band, 'Outside 0 to 25') as age_band,
        c.placement_category,
        c.home_area,
        c.home_district
    from {{ ref('silver_census_state') }} as c
    left join {{ ref('ref_age_bands') }} as b on c.age = b.age
),

counted as (
    {%- for level, keys in [('county', none), ('area', 'home_area'), ('district', 'home_area, home_district')] %}
    select
        '{{ level }}' as level,
        academic_year,
        census_date,
        {{ 'home_area' if level != 'county' else 'null' }} as area,
        {{ 'home_district' if level == 'district' else 'null' }} as district,
        age,
        age_band,
        placement_category,
        cast(count(*) as {{ dbt.type_int() }}) as holders
    from holders
    group by academic_year, census_date, {{ keys ~ ', ' if keys }}age, age_band, placement_category
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    level,
    case level when 'county' then {{ council_name() }} when 'area' then area else district end as level_key,
    academic_year,
    census_date,
    area,
    district,
    age,
    age_band,
    placement_category,
    holders,
    cast(sum(holders) over (partition by academic_year, level, area, district, age)
        as {{ dbt.type_int() }}) as holders_at_age,
    round(1.0 * holders / sum(holders) over (partition by academic_year, level, area, district, age), 4)
        as holders_share
from counted
