-- Places sheet rows of school returns, typed, one per submission x designation.
select
    _sha256 as submission_id,
    upper(designation) as designation,
    {{ to_int('commissioned_places') }} as commissioned_places,
    {{ to_int('pupils_with_ehcp') }} as pupils_with_ehcp,
    {{ to_int('pupils_without_ehcp') }} as pupils_without_ehcp,
    {{ to_int('vacancies') }} as vacancies,
    {{ to_int('referrals_received') }} as referrals_received
from {{ source('bronze', 'return_places') }}
