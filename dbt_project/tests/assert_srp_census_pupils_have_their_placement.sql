{{ config(meta={'dagster': {'ref': {'name': 'silver_srp_census_pupils'}}}) }}
-- Relationship to placement: every pupil of silver_srp_census_pupils has a resourced-provision
-- placement at that school in silver_placement (one row per person x year x school comes from
-- such a placement). Fails with the rows that have none.
select c.academic_year, c.urn
from {{ ref('silver_srp_census_pupils') }} as c
where not exists (
    select 1
    from {{ ref('silver_placement') }} as pl
    where pl.person_key = c.person_key and pl.urn = c.urn and pl.is_resourced_provision
)
