-- Who held an active EHC plan on each academic year's census day, and where they were: one row
-- per person x academic year, with the main placement (rank 1 on roll on census day; the lowest
-- rank when several), SRP, primary need, NC year, phase, home district and distance to school.
with years as (
    select academic_year, academic_year_start, census_date
    from {{ ref('silver_academic_years') }}
    where census_date <= ({{ latest_synergy_extract() }})
      and census_date >= ({{ first_census_covered() }})
      and academic_year_start >= (select min(extract(year from start_date)) - 1 from {{ ref('silver_plan') }})
),

active_plans as (
    select
        y.academic_year, y.academic_year_start, y.census_date, p.plan_key, p.person_key,
        p.primary_need, p.start_date,
        row_number() over (
            partition by p.person_key, y.academic_year order by p.start_date desc, p.plan_key
        ) as newest
    from {{ ref('silver_plan') }} as p
    inner join years as y
        on p.start_date <= y.census_date and (p.cease_date is null or p.cease_date > y.census_date)
),

placements_on_roll as (
    select
        a.person_key, a.academic_year, pl.placement_key, pl.urn, pl.ukprn, pl.sen_setting,
        pl.placement_category, pl.school_district, pl.distance_km, pl.is_resourced_provision,
        pl.is_sen_unit, pl.placement_rank,
        row_number() over (
            partition by a.person_key, a.academic_year
            order by pl.placement_rank, pl.entry_date desc, pl.placement_key
        ) as main_pick
    from active_plans as a
    inner join {{ ref('silver_placement') }} as pl on a.plan_key = pl.plan_key
    where a.newest = 1
      and {{ on_roll_at('pl.entry_date', 'pl.leaving_date', 'a.census_date') }}
),

srp as (
    select person_key, academic_year, min(urn) as srp_urn, min(designation) as srp_designation
    from {{ ref('silver_srp_census_pupils') }}
    group by person_key, academic_year
)

select
    a.person_key,
    a.academic_year,
    a.academic_year_start,
    a.census_date,
    a.plan_key,
    a.primary_need,
    {{ nc_year('a.academic_year_start', 'p.reception_year') }} as nc_year,
    {{ nc_year('a.academic_year_start', 'p.reception_year') }} + 4 as age,
    {{ phase_of_nc_year(nc_year('a.academic_year_start', 'p.reception_year')) }} as phase,
    p.sex,
    p.ethnicity_group,
    p.home_district,
    p.home_area,
    m.urn as main_urn,
    m.ukprn as main_ukprn,
    m.sen_setting as main_sen_setting,
    coalesce(m.placement_category, 'No placement recorded') as placement_category,
    m.school_district,
    m.distance_km,
    srp.srp_urn,
    srp.srp_designation,
    srp.srp_urn is not null as in_srp
from active_plans as a
inner join {{ ref('silver_person') }} as p on a.person_key = p.person_key
left join placements_on_roll as m
    on a.person_key = m.person_key and a.academic_year = m.academic_year and m.main_pick = 1
left join srp on a.person_key = srp.person_key and a.academic_year = srp.academic_year
where a.newest = 1
