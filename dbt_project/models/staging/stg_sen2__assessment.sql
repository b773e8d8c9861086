-- Assessments (module 3) of the latest SEN2 return, typed, with the columns of
-- stg_synergy__assessment. One per request: its key is the pseudonym of the request's key.
select
    a._position as assessment_id,
    {{ pseudonym('assessment', 'r.request_key') }} as assessment_key,
    r.request_key,
    upper(a.assessmentoutcome) as assessment_outcome,
    {{ parse_sen2_date('a.assessmentoutcomedate') }} as assessment_outcome_date,
    coalesce({{ parse_flag('a.week20') }}, false) as has_week20_exception
from {{ sen2_latest('assessment') }} as a
inner join {{ ref('stg_sen2__request') }} as r on a._parent_position = r.request_id
