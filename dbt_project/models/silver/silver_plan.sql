-- One row per EHC plan in the latest Synergy extract, with its primary need.
with primary_need as (
    select plan_id, sen_type
    from {{ ref('int_sen_need_sources') }}
    where sen_type_rank = 1
)

select
    p.plan_key,
    p.person_key,
    p.assessment_id is null as transferred_in,
    p.start_date,
    p.cease_date,
    p.cease_reason,
    cr.label as cease_reason_label,
    n.sen_type as primary_need,
    st.label as primary_need_label
from {{ ref('int_named_plan_sources') }} as p
left join primary_need as n on p.plan_id = n.plan_id
left join {{ ref('ref_sen_types') }} as st on n.sen_type = st.sen_type
left join {{ ref('ref_cease_reasons') }} as cr on p.cease_reason = cast(cr.cease_reason as {{ dbt.type_string() }})
