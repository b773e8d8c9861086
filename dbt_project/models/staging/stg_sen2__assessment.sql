-- Assessments (module 3) of the SEN2 returns loaded, typed, with the columns of
-- stg_synergy__assessment. One per request: its key is the pseudonym of the request's key,
-- the version of the latest return holding it.
select
    {{ sen2_record_id('a._position', 'a._extract_date') }} as assessment_id,
    {{ pseudonym('assessment', 'r.request_key') }} as assessment_key,
    r.request_key,
    upper(a.assessmentoutcome) as assessment_outcome,
    {{ parse_sen2_date('a.assessmentoutcomedate') }} as assessment_outcome_date,
    coalesce({{ parse_flag('a.week20') }}, false) as has_week20_exception
from {{ sen2_current('assessment') }} as a
inner join {{ ref('stg_sen2__request_versions') }} as r
    on a._extract_date = r._extract_date and a._parent_position = r._position
qualify {{ sen2_is_latest_version('r.request_key', 'a._extract_date') }}
