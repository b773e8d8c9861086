-- What the council knew on each night: the Synergy case load as each loaded extract held it,
-- reconstructed from the validity ranges of the bronze row versions (no copy per night).
with extracts as (
    select extract_date
    from {{ source('bronze', 'synergy_extracts') }}
    where status = 'loaded'
),

{#- row counts of whole files as each extract held them -#}
{% set counted = [('persons', 'synergy_person'), ('requests', 'synergy_request'),
                  ('annual_reviews', 'synergy_annual_review')] %}
{% for measure, table in counted %}
{{ measure }} as (
    select e.extract_date, count(*) as {{ measure }}
    from extracts as e
    inner join {{ source('bronze', table) }} as t on {{ synergy_as_of('t', 'e.extract_date') }}
    group by e.extract_date
),

{% endfor %}
plans as (
    select
        e.extract_date,
        count(*) as plans,
        sum(case when {{ on_roll_at(parse_date('p.start_date'), parse_date('p.cease_date'), 'e.extract_date') }}
            then 1 else 0 end) as active_plans
    from extracts as e
    inner join {{ source('bronze', 'synergy_named_plan') }} as p on {{ synergy_as_of('p', 'e.extract_date') }}
    group by e.extract_date
),

placements as (
    select
        e.extract_date,
        count(*) as placements,
        sum(case when {{ parse_flag('p.resourced_provision_indicator') }}
                  and {{ on_roll_at(parse_date('p.entry_date'), parse_date('p.leaving_date'), 'e.extract_date') }}
            then 1 else 0 end) as srp_placements_on_roll
    from extracts as e
    inner join {{ source('bronze', 'synergy_placement') }} as p on {{ synergy_as_of('p', 'e.extract_date') }}
    group by e.extract_date
)

select
    e.extract_date,
    cast(coalesce(p.persons, 0) as {{ dbt.type_int() }}) as persons,
    cast(coalesce(pl.plans, 0) as {{ dbt.type_int() }}) as plans,
    cast(coalesce(pl.active_plans, 0) as {{ dbt.type_int() }}) as active_plans,
    cast(coalesce(pm.placements, 0) as {{ dbt.type_int() }}) as placements,
    cast(coalesce(pm.srp_placements_on_roll, 0) as {{ dbt.type_int() }}) as srp_placements_on_roll,
    cast(coalesce(r.requests, 0) as {{ dbt.type_int() }}) as requests,
    cast(coalesce(v.annual_reviews, 0) as {{ dbt.type_int() }}) as annual_reviews
from extracts as e
left join persons as p on e.extract_date = p.extract_date
left join plans as pl on e.extract_date = pl.extract_date
left join placements as pm on e.extract_date = pm.extract_date
left join requests as r on e.extract_date = r.extract_date
left join annual_reviews as v on e.extract_date = v.extract_date
