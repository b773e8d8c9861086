-- EHC plans of the latest SEN2 return, with the columns of stg_synergy__named_plan: one per
-- request with a named plan (module 4a, under the request's assessment) or an active plan
-- (module 5a), the two joined through their request. plan_id is the request's position and
-- the key the pseudonym of the request's key. An active plan with no named plan in the return
-- (transferred in, or named before the return's year) has no assessment, as a Synergy plan
-- with no assessment (transferred_in in silver_plan), and its start date is unknown: the
-- request's received date stands for it (a plan starts after its request, ~20 weeks later).
with named as (
    select n.*, a._position as assessment_position, a._parent_position as request_position
    from {{ sen2_latest('named_plan') }} as n
    inner join {{ sen2_latest('assessment') }} as a on n._parent_position = a._position
),

active as (
    select * from {{ sen2_latest('active_plans') }}
),

plans as (
    select
        coalesce(n.request_position, ap._parent_position) as request_id,
        coalesce(n._person_position, ap._person_position) as person_id,
        n.assessment_position,
        {{ parse_sen2_date('n.startdate') }} as named_start_date,
        {{ parse_sen2_date('n.ceasedate') }} as cease_date,
        n.ceasereason as cease_reason
    from named as n
    full outer join active as ap on n.request_position = ap._parent_position
)

select
    pl.request_id as plan_id,
    {{ pseudonym('plan', 'r.request_key') }} as plan_key,
    pl.person_id,
    r.person_key,
    pl.assessment_position as assessment_id,
    coalesce(pl.named_start_date, r.received_date) as start_date,
    pl.cease_date,
    pl.cease_reason
from plans as pl
inner join {{ ref('stg_sen2__request') }} as r on pl.request_id = r.request_id
