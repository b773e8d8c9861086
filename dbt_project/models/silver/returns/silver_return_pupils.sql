-- Pupils sheet rows of every return, typed and pseudonymised (one row per submission x row).
select
    submission_id,
    row_number,
    upn_key,
    nc_year,
    designation,
    date_joined,
    date_left,
    destination,
    timetable_in_mainstream_pct,
    attendance_pct,
    suspension_days,
    is_permanently_excluded,
    annual_review_date
from {{ ref('stg_returns__pupils') }}
