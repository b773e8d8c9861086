{#- For a table served at several levels: over the rows matching `row_filter`, the sum of
    `measure` at every level must equal the county figure, per `period_column` (academic year,
    transfer year, forecast year). -#}
{% test level_totals_match(model, measure, period_column, row_filter) %}
with per_level as (
    select level, {{ period_column }} as period, sum({{ measure }}) as total
    from {{ model }}
    where {{ row_filter }}
    group by level, {{ period_column }}
),

county as (
    select period, total from per_level where level = 'county'
)

select p.level, p.period, p.total, c.total as county_total
from per_level as p
inner join county as c on p.period = c.period
where p.total <> c.total
{% endtest %}
