-- Annual reviews of the latest SEN2 return, with the columns of stg_synergy__annual_review:
-- the latest review of each active plan (module 5a) that has one. 2025 returns give the
-- meeting date and outcome (reviewmeeting, reviewoutcome) and the decision date
-- (lastreview); 2024 returns only the decision date. Key: the pseudonym of the plan's key.
select
    {{ pseudonym('review', 'pn.plan_key') }} as review_key,
    pn.plan_key,
    {{ parse_sen2_date('ap.reviewmeeting') }} as review_meeting_date,
    upper(ap.reviewoutcome) as review_outcome,
    {{ parse_sen2_date('ap.lastreview') }} as review_decision_date
from {{ sen2_latest('active_plans') }} as ap
inner join {{ ref('stg_sen2__named_plan') }} as pn on ap._parent_position = pn.plan_id
where ap.reviewmeeting is not null or ap.lastreview is not null
