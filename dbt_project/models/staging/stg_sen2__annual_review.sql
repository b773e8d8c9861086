-- Annual reviews of the SEN2 returns loaded, with the columns of stg_synergy__annual_review.
-- Each return gives the latest review of each active plan (module 5a) that has one: 2025
-- returns the meeting date and outcome (reviewmeeting, reviewoutcome) and the decision date
-- (lastreview), 2024 returns only the decision date. A review a later return gives again
-- (the same meeting or decision date for the plan) is that later version; the others are the
-- plan's earlier reviews. Key: the pseudonym of the plan's key and the review's meeting date
-- (its decision date when the return gives no meeting). A review a 2024 return gives has no
-- meeting date: its decision date stands for it (the meeting is at most weeks before; silver
-- requires one), as the received date stands for an unknown plan start.
with versions as (
    select
        r.plan_key,
        {{ parse_sen2_date('ap.reviewmeeting') }} as review_meeting_date,
        upper(ap.reviewoutcome) as review_outcome,
        {{ parse_sen2_date('ap.lastreview') }} as review_decision_date,
        ap._extract_date
    from {{ sen2_current('active_plans') }} as ap
    inner join {{ ref('stg_sen2__request_versions') }} as r
        on ap._extract_date = r._extract_date and ap._parent_position = r._position
    where ap.reviewmeeting is not null or ap.lastreview is not null
),

kept as (
    select v.*
    from versions as v
    where not exists (
        select 1 from versions as later
        where later.plan_key = v.plan_key
          and later._extract_date > v._extract_date
          and (later.review_meeting_date = v.review_meeting_date
               or later.review_decision_date = v.review_decision_date)
    )
),

keyed as (
    select
        *,
        {{ pseudonym('review', "plan_key || ' ' || cast(coalesce(review_meeting_date, review_decision_date) as varchar)") }} as review_key
    from kept
)

select
    review_key,
    plan_key,
    coalesce(review_meeting_date, review_decision_date) as review_meeting_date,
    review_outcome,
    review_decision_date
from keyed
qualify {{ sen2_is_latest_version('review_key') }}
