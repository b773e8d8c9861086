{{ config(meta={'dagster': {'ref': {'name': 'srp_finance'}}}) }}
-- Council funding in gold.srp_finance (county, all designations) equals the SRP register's
-- rates applied to its commissioned places and to the census-day pupils of gold.srp_places,
-- year by year (within a pound per SRP for rounding). Fails with the years that differ.
with expected as (
    select
        s.academic_year,
        count(*) as srps,
        sum(s.place_funding_gbp * s.commissioned_places
            + s.top_up_gbp * coalesce(p.pupils_on_roll, 0)) as funding_gbp
    from {{ ref('silver_srp') }} as s
    left join {{ ref('srp_places') }} as p
        on p.level = 'school' and p.urn = s.urn and p.designation = s.designation
        and p.academic_year = s.academic_year
    group by s.academic_year
)

select f.academic_year, f.council_funding_gbp, e.funding_gbp
from {{ ref('srp_finance') }} as f
inner join expected as e on f.academic_year = e.academic_year
where f.level = 'county' and f.designation = 'All'
  and abs(f.council_funding_gbp - e.funding_gbp) > e.srps
