{#- For a table served at several levels: the sum of `measure` over the rows of each level in
    `levels` (restricted by `rollup_filter` for the roll-ups; every school row counts) must
    equal the county figure, per academic year. A level or county row missing for a year fails
    (full outer joins: see level_totals_match). -#}
{% test sums_match_county(model, measure, rollup_filter, levels=['school', 'district', 'area', 'county']) %}
{{ level_sums_against_county(model, measure, 'academic_year',
                             "level = 'school' or (" ~ rollup_filter ~ ")", levels) }}
{% endtest %}
