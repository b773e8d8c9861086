-- One row per placement in the latest Synergy extract, with the distance from the child's home
-- to the establishment (km, straight line; null when either end has no coordinates).
select
    pl.placement_key,
    pl.plan_key,
    pn.person_key,
    pl.urn,
    pl.ukprn,
    pl.sen_setting,
    pl.placement_rank,
    pl.entry_date,
    pl.leaving_date,
    pl.is_sen_unit,
    pl.is_resourced_provision,
    pl.srp_designation,
    case
        when pl.urn is not null then coalesce(e.placement_category, 'Unknown establishment')
        when pl.ukprn is not null then 'Further education college'
        else coalesce(ss.placement_category, 'Other arrangement')
    end as placement_category,
    e.district as school_district,
    d.distance_km
from {{ ref('int_placement_sources') }} as pl
inner join {{ ref('int_named_plan_sources') }} as pn on pl.plan_id = pn.plan_id
inner join {{ ref('int_placement_distance_sources') }} as d on pl.placement_key = d.placement_key
left join {{ ref('silver_establishment') }} as e on pl.urn = e.urn
left join {{ ref('ref_sen_settings') }} as ss on pl.sen_setting = ss.sen_setting
