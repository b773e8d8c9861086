select
    {{ to_int('plan_id') }} as plan_id,
    {{ pseudonym('plan', 'plan_id') }} as plan_key,
    upper(sen_type) as sen_type,
    {{ to_int('sen_type_rank') }} as sen_type_rank
from {{ source('bronze', 'synergy_sen_need') }}
where _valid_to is null
