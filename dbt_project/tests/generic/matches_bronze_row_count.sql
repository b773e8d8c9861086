{#- Row-count reconciliation: the model has exactly as many rows as the bronze table's current
    rows (rows bronze rejected are in bronze.load_errors, never in bronze tables). `current`
    selects the current version: Synergy rows open in the latest extract, register rows of the
    current file. -#}
{% test matches_bronze_row_count(model, source_table, current='_valid_to is null') %}
with model_rows as (
    select count(*) as n from {{ model }}
),

bronze_rows as (
    select count(*) as n from {{ source('bronze', source_table) }} where {{ current }}
)

select m.n as model_rows, b.n as bronze_rows
from model_rows as m
cross join bronze_rows as b
where m.n <> b.n
{% endtest %}
