select
    {{ pseudonym('review', 'review_id') }} as review_key,
    {{ pseudonym('plan', 'plan_id') }} as plan_key,
    {{ parse_date('review_meeting_date') }} as review_meeting_date,
    upper(review_outcome) as review_outcome,
    {{ parse_date('review_decision_date') }} as review_decision_date
from {{ source('bronze', 'synergy_annual_review') }}
where _valid_to is null
