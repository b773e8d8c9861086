-- Pupils in an SRP at any time during an academic year (the scope of a school return's pupil
-- list): a placement flagged resourced provision at a school the SRP register lists for the
-- year, overlapping 1 September - 31 August. One row per person x academic year x SRP school
-- (the latest such placement). Designation resolved as in silver_srp_census_pupils.
with srp_schools as (
    select urn, academic_year, academic_year_start,
           count(*) as designation_count, min(designation) as only_designation
    from {{ ref('silver_srp') }}
    group by urn, academic_year, academic_year_start
),

in_year as (
    select
        pl.person_key, pl.urn, pl.srp_designation, pl.entry_date,
        s.academic_year, s.academic_year_start, s.designation_count, s.only_designation,
        bool_or({{ on_roll_at('pl.entry_date', 'pl.leaving_date', 'y.census_date') }}) over (
            partition by pl.person_key, pl.urn, s.academic_year
        ) as on_roll_on_census_day,
        row_number() over (
            partition by pl.person_key, pl.urn, s.academic_year
            order by pl.entry_date desc, pl.placement_rank, pl.placement_key
        ) as pick
    from {{ ref('silver_placement') }} as pl
    inner join srp_schools as s on pl.urn = s.urn
    inner join {{ ref('silver_academic_years') }} as y on s.academic_year_start = y.academic_year_start
    where pl.is_resourced_provision
      and pl.entry_date <= y.end_date
      and (pl.leaving_date is null or pl.leaving_date > y.start_date)
)

select
    i.person_key,
    p.upn_key,
    i.academic_year,
    i.academic_year_start,
    i.urn,
    case
        when i.srp_designation is not null then i.srp_designation
        when i.designation_count = 1 then i.only_designation
        else 'unknown'
    end as designation,
    {{ nc_year('i.academic_year_start', 'p.reception_year') }} as nc_year,
    i.entry_date as date_joined,
    i.on_roll_on_census_day
from in_year as i
inner join {{ ref('silver_person') }} as p on i.person_key = p.person_key
where i.pick = 1
