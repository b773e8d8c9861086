-- One row per annual review meeting of an EHC plan.
select
    review_key,
    plan_key,
    review_meeting_date,
    review_outcome,
    review_decision_date
from {{ ref('int_annual_review_sources') }}
