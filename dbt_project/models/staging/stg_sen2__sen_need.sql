-- SEN needs (module 5c) of the latest SEN2 return, with the columns of stg_synergy__sen_need.
-- SEN2 hangs needs on the active plan (5a), Synergy on the plan: the active plan's request is
-- the plan (stg_sen2__named_plan).
select
    pn.plan_id,
    pn.plan_key,
    upper(n.sentype) as sen_type,
    {{ to_int('n.sentyperank') }} as sen_type_rank
from {{ sen2_latest('sen_need') }} as n
inner join {{ sen2_latest('active_plans') }} as ap on n._parent_position = ap._position
inner join {{ ref('stg_sen2__named_plan') }} as pn on ap._parent_position = pn.plan_id
