-- SEN needs (module 5c) of the SEN2 returns loaded, with the columns of stg_synergy__sen_need.
-- SEN2 hangs needs on the active plan (5a), Synergy on the plan: the active plan's request is
-- the plan (stg_sen2__request_versions.plan_key). A plan's needs are the set the latest return
-- holding its active plan gives (as Synergy's current extract gives a plan's current needs).
with needs as (
    select
        r.plan_key,
        upper(n.sentype) as sen_type,
        {{ to_int('n.sentyperank') }} as sen_type_rank,
        n._extract_date,
        max(n._extract_date) over (partition by r.plan_key) as latest_extract_date
    from {{ sen2_current('sen_need') }} as n
    inner join {{ sen2_current('active_plans') }} as ap
        on n._extract_date = ap._extract_date and n._parent_position = ap._position
    inner join {{ ref('stg_sen2__request_versions') }} as r
        on ap._extract_date = r._extract_date and ap._parent_position = r._position
)

select
    pn.plan_id,
    pn.plan_key,
    n.sen_type,
    n.sen_type_rank
from needs as n
inner join {{ ref('stg_sen2__named_plan') }} as pn on n.plan_key = pn.plan_key
where n._extract_date = n.latest_extract_date
