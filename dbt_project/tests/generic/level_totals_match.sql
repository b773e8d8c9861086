{#- For a table served at several levels: over the rows matching `row_filter`, the sum of
    `measure` at every level in `levels` must equal the county figure, per `period_column`
    (academic year, transfer year, forecast year). Every level must have rows in every period
    any level has: a level, or the county row, missing for a period fails (full outer join over
    the grid of levels x periods), as does a level missing from the whole table. -#}
{% test level_totals_match(model, measure, period_column, row_filter, levels=['district', 'area', 'county']) %}
{{ level_sums_against_county(model, measure, period_column, row_filter, levels) }}
{% endtest %}
