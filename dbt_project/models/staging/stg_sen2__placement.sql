-- Placements (module 5b) of the latest SEN2 return, typed, with the columns of
-- stg_synergy__placement. A placement belongs to its active plan's request's plan
-- (stg_sen2__named_plan); its key is the pseudonym of the plan's key and its order within the
-- active plan. SEN2 carries no designation: srp_designation comes from the SRP register
-- (stg_sen2__placement_designation; null for a placement not flagged resourced provision or
-- SEN unit).
with placement as (
    select
        pd.*,
        ap._parent_position as plan_id,
        row_number() over (partition by pd._parent_position order by pd._position) as plan_order
    from {{ sen2_latest('placement_detail') }} as pd
    inner join {{ sen2_latest('active_plans') }} as ap on pd._parent_position = ap._position
)

select
    pl._position as placement_id,
    {{ pseudonym('placement', "pn.plan_key || ' ' || cast(pl.plan_order as varchar)") }} as placement_key,
    pn.plan_id,
    pn.plan_key,
    pl.urn,
    pl.ukprn,
    upper(pl.sensetting) as sen_setting,
    {{ to_int('pl.placementrank') }} as placement_rank,
    {{ parse_sen2_date('pl.entrydate') }} as entry_date,
    {{ parse_sen2_date('pl.leavingdate') }} as leaving_date,
    coalesce({{ parse_flag('pl.senunitindicator') }}, false) as is_sen_unit,
    coalesce({{ parse_flag('pl.resourcedprovisionindicator') }}, false) as is_resourced_provision,
    d.designation as srp_designation
from placement as pl
inner join {{ ref('stg_sen2__named_plan') }} as pn on pl.plan_id = pn.plan_id
left join {{ ref('stg_sen2__placement_designation') }} as d on pl._position = d.placement_id
