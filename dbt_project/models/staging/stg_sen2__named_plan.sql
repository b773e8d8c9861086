-- EHC plans of the SEN2 returns loaded, with the columns of stg_synergy__named_plan. In each
-- return a plan is a request with a named plan (module 4a, under the request's assessment) or
-- an active plan (module 5a), the two joined through their request; its key is the pseudonym
-- of the request's key (stg_sen2__request_versions), so one plan carried by several returns is
-- one row: the version of the latest return holding it, its start date and assessment from the
-- latest return holding its named plan. A plan no return names (transferred in, or named
-- before the first return's year) has no assessment, as a Synergy plan with no assessment
-- (transferred_in in silver_plan), and its start date is unknown: the request's received date
-- stands for it (a plan starts after its request, ~20 weeks later). A plan a later return does
-- not hold at all, with no cease date in the last return holding it, was not active on that
-- later return's census day (module 5a lists every plan active then): its cease date is
-- unknown, and the census day of the first such return stands for it (cease reason null).
with named as (
    select n.*, a._position as assessment_position, a._parent_position as request_position
    from {{ sen2_current('named_plan') }} as n
    inner join {{ sen2_current('assessment') }} as a
        on n._extract_date = a._extract_date and n._parent_position = a._position
),

active as (
    select * from {{ sen2_current('active_plans') }}
),

versions as (
    select
        coalesce(n._extract_date, ap._extract_date) as _extract_date,
        coalesce(n.request_position, ap._parent_position) as request_position,
        n.assessment_position is not null as is_named,
        {{ sen2_record_id('n.assessment_position', 'n._extract_date') }} as assessment_id,
        {{ parse_sen2_date('n.startdate') }} as named_start_date,
        {{ parse_sen2_date('n.ceasedate') }} as cease_date,
        n.ceasereason as cease_reason
    from named as n
    full outer join active as ap
        on n._extract_date = ap._extract_date and n.request_position = ap._parent_position
),

keyed as (
    select v.*, r.request_id, r.plan_key, r.person_key, r.received_date, h.reference_date
    from versions as v
    inner join {{ ref('stg_sen2__request_versions') }} as r
        on v._extract_date = r._extract_date and v.request_position = r._position
    inner join {{ ref('stg_sen2__extracts') }} as h on v._extract_date = h.extract_date
),

latest_named as (
    select plan_key, assessment_id, named_start_date
    from keyed
    where is_named
    qualify {{ sen2_is_latest_version('plan_key') }}
),

latest as (
    select * from keyed
    qualify {{ sen2_is_latest_version('plan_key') }}
)

select
    k.request_id as plan_id,
    k.plan_key,
    p.person_id,
    k.person_key,
    n.assessment_id,
    coalesce(n.named_start_date, k.received_date) as start_date,
    coalesce(k.cease_date, (
        select min(later.reference_date) from {{ ref('stg_sen2__extracts') }} as later
        where later.reference_date > k.reference_date
    )) as cease_date,
    k.cease_reason
from latest as k
inner join {{ ref('stg_sen2__person') }} as p on k.person_key = p.person_key
left join latest_named as n on k.plan_key = n.plan_key
