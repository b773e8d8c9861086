{{ config(meta={'dagster': {'ref': {'name': 'ehcp_caseload_profile'}}}) }}
-- Every row of silver_census_state is one EHC plan holder in gold, once: per academic year and
-- dimension, the county's holders in gold.ehcp_caseload_profile add up to silver's rows. A
-- fan-out in a gold join (e.g. a duplicated age band) inflates gold and fails here; so does a
-- holder gold drops, or a year or dimension on one side only.
with silver as (
    select academic_year, count(*) as holders
    from {{ ref('silver_census_state') }}
    group by academic_year
),

dimensions as (
    select distinct dimension from {{ ref('ehcp_caseload_profile') }}
),

gold as (
    select academic_year, dimension, sum(holders) as holders
    from {{ ref('ehcp_caseload_profile') }}
    where level = 'county'
    group by academic_year, dimension
),

expected as (
    select s.academic_year, d.dimension, s.holders
    from silver as s
    cross join dimensions as d
)

select
    coalesce(e.academic_year, g.academic_year) as academic_year,
    coalesce(e.dimension, g.dimension) as dimension,
    e.holders as silver_rows,
    g.holders as gold_holders
from expected as e
full outer join gold as g on e.academic_year = g.academic_year and e.dimension = g.dimension
where coalesce(e.holders, 0) <> coalesce(g.holders, 0)
