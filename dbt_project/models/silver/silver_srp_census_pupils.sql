-- Pupils in an SRP on census day: a placement flagged resourced provision, on roll
-- on the census day, at a school the SRP register lists for that academic year. One row per
-- person x academic year x SRP school. Designation = the placement's srp_designation; if blank,
-- the school's only designation that year; if blank and the school has several, 'unknown'.
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
        y.census_date
    from {{ ref('silver_placement') }} as pl
    inner join srp_schools as s on pl.urn = s.urn
    inner join {{ ref('silver_academic_years') }} as y on s.academic_year_start = y.academic_year_start
    where pl.is_resourced_provision
      and y.census_date <= ({{ latest_synergy_extract() }})
      and {{ on_roll_at('pl.entry_date', 'pl.leaving_date', 'y.census_date') }}
),

one_per_school as (
    select
        *,
        row_number() over (
            partition by person_key, urn, academic_year order by placement_rank, placement_key
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
where o.pick = 1
