-- Pupils sheet rows of school returns, typed. The UPN is read here and leaves only as a keyed
-- pseudonym (ephemeral: never materialised), the same one silver_person.upn_key holds.
select
    _sha256 as submission_id,
    _row_number as row_number,
    {{ pseudonym('upn', 'upn') }} as upn_key,
    case when upper(trim(nc_year)) = 'R' then 0 else {{ to_int('nc_year') }} end as nc_year,
    upper(designation) as designation,
    {{ parse_date('date_joined') }} as date_joined,
    {{ parse_date('date_left') }} as date_left,
    destination,
    {{ to_number('pct_timetable_mainstream') }} as timetable_in_mainstream_pct,
    {{ to_number('attendance_pct') }} as attendance_pct,
    {{ to_number('suspension_days') }} as suspension_days,
    {{ parse_flag('permanent_exclusion') }} as is_permanently_excluded,
    {{ parse_date('annual_review_date') }} as annual_review_date
from {{ source('bronze', 'return_pupils') }}
