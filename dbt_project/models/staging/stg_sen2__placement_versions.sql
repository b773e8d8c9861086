-- Placements (module 5b) of every SEN2 return loaded, one row per placement record of each
-- return, typed. A placement belongs to its active plan's request's plan
-- (stg_sen2__request_versions.plan_key). Its key holds across returns and formats: the
-- pseudonym of the plan's key, where the child was placed (URN, else UKPRN, else SEN setting),
-- the entry date and the order among the plan's placements sharing these in that return (a
-- plan's order of placements is no key: a return lists only those on roll since 1 January).
-- last_day is the placement's last day on roll within its return (the day before its
-- leaving date, or the return's census reference date when still open).
with placement as (
    select
        pd.*,
        r.plan_key,
        h.reference_date,
        {{ parse_sen2_date('pd.entrydate') }} as entry_date,
        {{ parse_sen2_date('pd.leavingdate') }} as leaving_date,
        coalesce('URN ' || pd.urn, 'UKPRN ' || pd.ukprn, 'SETTING ' || upper(pd.sensetting)) as placed_at
    from {{ sen2_current('placement_detail') }} as pd
    inner join {{ sen2_current('active_plans') }} as ap
        on pd._extract_date = ap._extract_date and pd._parent_position = ap._position
    inner join {{ ref('stg_sen2__request_versions') }} as r
        on ap._extract_date = r._extract_date and ap._parent_position = r._position
    inner join {{ ref('stg_sen2__extracts') }} as h on pd._extract_date = h.extract_date
),

numbered as (
    select
        *,
        row_number() over (
            partition by _extract_date, plan_key, placed_at, entry_date order by _position
        ) as same_start_order
    from placement
)

select
    {{ sen2_record_id('_position') }} as placement_id,
    {{ pseudonym('placement', "plan_key || ' ' || placed_at || ' ' || coalesce(cast(entry_date as varchar), '')
        || ' ' || cast(same_start_order as varchar)") }} as placement_key,
    plan_key,
    urn,
    ukprn,
    upper(sensetting) as sen_setting,
    {{ to_int('placementrank') }} as placement_rank,
    entry_date,
    leaving_date,
    coalesce({{ parse_flag('senunitindicator') }}, false) as is_sen_unit,
    coalesce({{ parse_flag('resourcedprovisionindicator') }}, false) as is_resourced_provision,
    least(reference_date, coalesce(leaving_date - 1, reference_date)) as last_day,
    _extract_date
from numbered
