select
    {{ to_int('plan_id') }} as plan_id,
    {{ pseudonym('plan', 'plan_id') }} as plan_key,
    {{ to_int('person_id') }} as person_id,
    {{ pseudonym('person', 'person_id') }} as person_key,
    {{ to_int('assessment_id') }} as assessment_id,
    {{ parse_date('start_date') }} as start_date,
    {{ parse_date('cease_date') }} as cease_date,
    cease_reason
from {{ source('bronze', 'synergy_named_plan') }}
where _valid_to is null
