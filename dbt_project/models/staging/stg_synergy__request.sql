select
    {{ to_int('request_id') }} as request_id,
    {{ pseudonym('request', 'request_id') }} as request_key,
    {{ pseudonym('person', 'person_id') }} as person_key,
    {{ parse_date('received_date') }} as received_date,
    request_source,
    coalesce({{ parse_flag('rya') }}, false) as is_relevant_young_adult,
    upper(request_outcome) as request_outcome,
    {{ parse_date('request_outcome_date') }} as request_outcome_date
from {{ source('bronze', 'synergy_request') }}
where _valid_to is null
