-- One row per EHC needs assessment request, with its assessment and outcome (if any).
select
    r.request_key,
    r.person_key,
    r.received_date,
    r.request_source,
    r.is_relevant_young_adult,
    r.request_outcome,
    r.request_outcome_date,
    a.assessment_key,
    a.assessment_outcome,
    a.assessment_outcome_date,
    a.has_week20_exception,
    case when a.assessment_outcome = 'I'
        then {{ dbt.datediff('r.received_date', 'a.assessment_outcome_date', 'day') }}
    end as days_to_plan_issued
from {{ ref('int_request_sources') }} as r
left join {{ ref('int_assessment_sources') }} as a on r.request_key = a.request_key
