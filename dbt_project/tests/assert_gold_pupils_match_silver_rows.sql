{{ config(meta={'dagster': {'ref': {'name': 'srp_places'}}}) }}
-- Every row of silver_srp_census_pupils is one pupil on roll in gold, once: per academic year,
-- the county's pupils on roll (every phase, every designation) in gold.srp_places and in
-- gold.srp_travel equal silver's rows. A fan-out in a gold join (e.g. a duplicated register
-- row) inflates gold and fails here; so does a pupil gold drops, or a year on one side only.
with silver as (
    select academic_year, count(*) as pupils
    from {{ ref('silver_srp_census_pupils') }}
    group by academic_year
),

places as (
    select academic_year, sum(pupils_on_roll) as pupils
    from {{ ref('srp_places') }}
    where level = 'county' and phase = 'All' and designation = 'All'
    group by academic_year
),

travel as (
    select academic_year, sum(pupils_on_roll) as pupils
    from {{ ref('srp_travel') }}
    where level = 'county' and designation = 'All'
    group by academic_year
)

select
    coalesce(s.academic_year, p.academic_year, t.academic_year) as academic_year,
    s.pupils as silver_rows,
    p.pupils as srp_places_pupils,
    t.pupils as srp_travel_pupils
from silver as s
full outer join places as p on s.academic_year = p.academic_year
full outer join travel as t on coalesce(s.academic_year, p.academic_year) = t.academic_year
where coalesce(s.pupils, 0) <> coalesce(p.pupils, -1)
   or coalesce(s.pupils, 0) <> coalesce(t.pupils, -1)
