-- Outcomes sheet of every return, typed (one row per submission).
select
    _sha256 as submission_id,
    {{ to_int('outreach_sessions') }} as outreach_sessions,
    {{ to_number('pct_parents_satisfied') }} as parents_satisfied_pct,
    {{ to_number('pct_pupils_meeting_outcomes') }} as pupils_meeting_outcomes_pct
from {{ source('bronze', 'return_outcomes') }}
