-- Secondary SRP Year 7 demand forecast per pupil's HOME district x designation x each of the
-- next five academic years, against the secondary SRP Year 7 places commissioned in the
-- district; rolled up to area and county and designation 'All'. Method in _models.yml.
{% set min_transfers = var('srp_forecast_min_transfers', 5) %}
with years as (
    {{ census_years_covered() }}
),

base_year as (
    select max(y.academic_year_start) as academic_year_start
    from years as y
    where y.academic_year in (select academic_year from {{ ref('silver_srp') }})
),

forecast_years as (
    select y.academic_year, y.academic_year_start, y.academic_year_start - b.academic_year_start as years_ahead,
           base.academic_year as base_census_year
    from {{ ref('silver_academic_years') }} as y
    cross join base_year as b
    inner join {{ ref('silver_academic_years') }} as base on base.academic_year_start = b.academic_year_start
    where y.academic_year_start between b.academic_year_start + 1 and b.academic_year_start + 5
),

-- primary SRP pupils in Year 2-6 on the latest census day reach Year 7 in 5..1 years
cohort as (
    select f.academic_year, p.home_area as area, p.home_district as district, p.designation,
           count(distinct p.person_key) as primary_srp_pupils
    from {{ ref('int_srp_census_pupil_phases') }} as p
    inner join base_year as b on p.academic_year_start = b.academic_year_start
    inner join forecast_years as f on f.years_ahead = 7 - p.nc_year
    where p.srp_phase = 'Primary' and p.nc_year between 2 and 6
    group by f.academic_year, p.home_area, p.home_district, p.designation
),

-- continuation to a secondary SRP (same or other designation) over every observed transfer year
observed as (
    select level, district, designation,
           sum(year6_pupils) as transfers,
           sum(continuing_to_secondary_srp) as continuing
    from {{ ref('phase_transfer_pathways') }}
    where level in ('district', 'county')
    group by level, district, designation
),

-- secondary SRP places in the latest register year, by the SCHOOL's district, carried forward
latest_register as (
    select max(academic_year) as academic_year from {{ ref('silver_srp') }}
),

places as (
    select f.academic_year, r.area, r.district, r.designation,
           sum(r.commissioned_places) as secondary_srp_places
    from {{ ref('silver_srp') }} as r
    inner join latest_register as l on r.academic_year = l.academic_year
    cross join forecast_years as f
    where r.phase = 'Secondary'
    group by f.academic_year, r.area, r.district, r.designation
),

district_rows as (
    select
        coalesce(c.academic_year, p.academic_year) as academic_year,
        coalesce(c.area, p.area) as area,
        coalesce(c.district, p.district) as district,
        coalesce(c.designation, p.designation) as designation,
        coalesce(c.primary_srp_pupils, 0) as primary_srp_pupils,
        coalesce(p.secondary_srp_places, 0) as secondary_srp_places
    from cohort as c
    full outer join places as p
        on c.academic_year = p.academic_year and c.district = p.district
        and c.designation = p.designation
),

with_rate as (
    select
        d.*,
        coalesce(od.transfers, 0) as transfers_observed,
        case
            when od.transfers >= {{ min_transfers }} then 'district'
            when oc.transfers > 0 then 'county'
            when oa.transfers > 0 then 'county, all designations'
        end as rate_source,
        case
            when od.transfers >= {{ min_transfers }} then 1.0 * od.continuing / od.transfers
            when oc.transfers > 0 then 1.0 * oc.continuing / oc.transfers
            when oa.transfers > 0 then 1.0 * oa.continuing / oa.transfers
        end as continuation_rate
    from district_rows as d
    left join observed as od
        on od.level = 'district' and d.district = od.district and d.designation = od.designation
    left join observed as oc on oc.level = 'county' and d.designation = oc.designation
    left join observed as oa on oa.level = 'county' and oa.designation = 'All'
),

rolled_up as (
    {%- for level, keys in [('district', 'area, district'), ('area', 'area'), ('county', none)] %}
    {{ 'union all' if not loop.first }}
    select
        '{{ level }}' as level,
        academic_year,
        {{ 'area' if level != 'county' else 'null' }} as area,
        {{ 'district' if level == 'district' else 'null' }} as district,
        case when grouping(designation) = 1 then 'All' else designation end as designation,
        {%- if level == 'district' %}
        case when grouping(designation) = 0 then max(transfers_observed) end as transfers_observed,
        case when grouping(designation) = 0 then max(rate_source) end as rate_source,
        case when grouping(designation) = 0 then round(max(continuation_rate), 4) end as continuation_rate_share,
        {%- else %}
        null as transfers_observed,
        null as rate_source,
        null as continuation_rate_share,
        {%- endif %}
        cast(sum(primary_srp_pupils) as {{ dbt.type_int() }}) as primary_srp_pupils,
        sum(primary_srp_pupils * coalesce(continuation_rate, 0)) as projected_demand,
        cast(sum(secondary_srp_places) as {{ dbt.type_int() }}) as secondary_srp_places
    from with_rate
    group by grouping sets (
        (academic_year, {{ keys ~ ', ' if keys }}designation),
        (academic_year{{ ', ' ~ keys if keys }})
    )
    {%- endfor %}
)

select
    r.level,
    case r.level when 'county' then {{ council_name() }} when 'area' then r.area else r.district end as level_key,
    r.academic_year as forecast_year,
    f.years_ahead,
    f.base_census_year,
    (select academic_year from latest_register) as places_register_year,
    r.area,
    r.district,
    r.designation,
    r.primary_srp_pupils,
    cast(r.transfers_observed as {{ dbt.type_int() }}) as transfers_observed,
    r.rate_source,
    r.continuation_rate_share,
    round(r.projected_demand, 1) as projected_year7_demand,
    r.secondary_srp_places,
    round(r.secondary_srp_places / 5.0, 1) as year7_places,
    round(r.projected_demand - r.secondary_srp_places / 5.0, 1) as year7_shortfall
from rolled_up as r
inner join forecast_years as f on r.academic_year = f.academic_year
