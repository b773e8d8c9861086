select
    {{ to_int('assessment_id') }} as assessment_id,
    {{ pseudonym('assessment', 'assessment_id') }} as assessment_key,
    {{ pseudonym('request', 'request_id') }} as request_key,
    upper(assessment_outcome) as assessment_outcome,
    {{ parse_date('assessment_outcome_date') }} as assessment_outcome_date,
    coalesce({{ parse_flag('week20_exception') }}, false) as has_week20_exception
from {{ source('bronze', 'synergy_assessment') }}
where _valid_to is null
