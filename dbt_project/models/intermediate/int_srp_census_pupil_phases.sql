-- SRP pupils on census day (silver_srp_census_pupils) with the phase of their SRP: the register
-- row of their designation, else the school's phase (a designation the register does not list).
with register as (
    select academic_year, urn, designation, phase
    from {{ ref('silver_srp') }}
),

school_phase as (
    select academic_year, urn, min(phase) as phase
    from register
    group by academic_year, urn
)

select c.*, coalesce(r.phase, s.phase) as srp_phase
from {{ ref('silver_srp_census_pupils') }} as c
left join register as r
    on c.academic_year = r.academic_year and c.urn = r.urn and c.designation = r.designation
left join school_phase as s on c.academic_year = s.academic_year and c.urn = s.urn
