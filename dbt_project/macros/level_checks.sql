{#- The rows (level, period) whose sum of `measure` differs from the county's (NULL on either
    side = a missing row) over the grid of `levels` x every period of the filtered rows. -#}
{% macro level_sums_against_county(model, measure, period_column, row_filter, levels) %}
with filtered as (
    select level, {{ period_column }} as period, {{ measure }} as measure
    from {{ model }}
    where {{ row_filter }}
),

per_level as (
    select level, period, sum(measure) as total, count(*) as row_count
    from filtered
    group by level, period
),

expected_levels as (
    {%- for level in levels %}
    select '{{ level }}' as level{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

grid as (
    select l.level, p.period
    from expected_levels as l
    cross join (select distinct period from filtered) as p
),

county as (
    select period, total, row_count from per_level where level = 'county'
)

select
    coalesce(g.level, p.level) as level,
    coalesce(g.period, p.period, c.period) as period,
    p.total,
    c.total as county_total,
    case
        when p.row_count is null then 'level has no rows'
        when c.row_count is null then 'no county row'
        else 'sums differ'
    end as problem
from grid as g
full outer join per_level as p on g.level = p.level and g.period = p.period
full outer join county as c on coalesce(g.period, p.period) = c.period
where p.row_count is null
   or c.row_count is null
   or p.total is distinct from c.total
{% endmacro %}
