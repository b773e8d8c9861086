-- Placements of the SEN2 returns loaded, with the columns of stg_synergy__placement: one row
-- per placement key (stg_sen2__placement_versions: plan, URN/UKPRN/setting, entry date), the
-- version of the latest return holding it, so a placement that ended before the latest return
-- is known from the return that carried it. SEN2 carries no designation: srp_designation comes
-- from the SRP register (stg_sen2__placement_designation; null for a placement not flagged
-- resourced provision or SEN unit). A placement still open in the last return holding it whose
-- plan ceased later (a later return gives the cease, or no longer holds the plan:
-- stg_sen2__named_plan) is not in any later return (module 5b lists the placements of active
-- plans only): its leaving date is unknown, and the plan's cease date stands for it.
with latest as (
    select * from {{ ref('stg_sen2__placement_versions') }}
    qualify {{ sen2_is_latest_version('placement_key') }}
)

select
    pl.placement_id,
    pl.placement_key,
    pn.plan_id,
    pl.plan_key,
    pl.urn,
    pl.ukprn,
    pl.sen_setting,
    pl.placement_rank,
    pl.entry_date,
    coalesce(pl.leaving_date, case when pn.cease_date > pl.last_day then pn.cease_date end) as leaving_date,
    pl.is_sen_unit,
    pl.is_resourced_provision,
    d.designation as srp_designation
from latest as pl
inner join {{ ref('stg_sen2__named_plan') }} as pn on pl.plan_key = pn.plan_key
left join {{ ref('stg_sen2__placement_designation') }} as d on pl.placement_id = d.placement_id
