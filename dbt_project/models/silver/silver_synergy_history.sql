-- What the council knew on each night: the Synergy case load as each loaded extract held it,
-- reconstructed from the validity ranges of the bronze row versions (no copy per night).
with extracts as (
    select extract_date from {{ ref('stg_synergy__extracts') }}
),

counts as (
    select
        e.extract_date,
        v.entity,
        count(*) as rows_held,
        sum(case when {{ on_roll_at('v.start_date', 'v.end_date', 'e.extract_date') }}
            then 1 else 0 end) as active,
        sum(case when v.is_resourced_provision
                  and {{ on_roll_at('v.start_date', 'v.end_date', 'e.extract_date') }}
            then 1 else 0 end) as srp_on_roll
    from extracts as e
    inner join {{ ref('stg_synergy__row_versions') }} as v on {{ synergy_as_of('v', 'e.extract_date') }}
    group by e.extract_date, v.entity
)

{% set measures = [('persons', 'person', 'rows_held'), ('plans', 'named_plan', 'rows_held'),
                   ('active_plans', 'named_plan', 'active'),
                   ('placements', 'placement', 'rows_held'),
                   ('srp_placements_on_roll', 'placement', 'srp_on_roll'),
                   ('requests', 'request', 'rows_held'),
                   ('annual_reviews', 'annual_review', 'rows_held')] %}
select
    e.extract_date,
    {%- for measure, entity, column in measures %}
    cast(coalesce(sum(case when c.entity = '{{ entity }}' then c.{{ column }} end), 0)
        as {{ dbt.type_int() }}) as {{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
from extracts as e
left join counts as c on e.extract_date = c.extract_date
group by e.extract_date
