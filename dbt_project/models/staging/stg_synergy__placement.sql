select
    {{ to_int('placement_id') }} as placement_id,
    {{ pseudonym('placement', 'placement_id') }} as placement_key,
    {{ to_int('plan_id') }} as plan_id,
    {{ pseudonym('plan', 'plan_id') }} as plan_key,
    urn,
    ukprn,
    upper(sen_setting) as sen_setting,
    {{ to_int('placement_rank') }} as placement_rank,
    {{ parse_date('entry_date') }} as entry_date,
    {{ parse_date('leaving_date') }} as leaving_date,
    coalesce({{ parse_flag('sen_unit_indicator') }}, false) as is_sen_unit,
    coalesce({{ parse_flag('resourced_provision_indicator') }}, false) as is_resourced_provision,
    upper(srp_designation) as srp_designation
from {{ source('bronze', 'synergy_placement') }}
where _valid_to is null
