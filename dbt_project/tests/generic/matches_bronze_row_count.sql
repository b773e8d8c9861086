{#- Row-count reconciliation: the model has exactly as many rows as the bronze table's current
    rows (rows bronze rejected are in bronze.load_errors, never in bronze tables). `current`
    selects the current version: Synergy rows open in the latest extract, register rows of the
    current file. A Synergy table's count applies only while silver reads Synergy
    (int_case_source_system); SEN2 records are reconciled by assert_sen2_records_reach_silver. -#}
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
{%- if source_table.startswith('synergy_') %}
  and (select source_system from {{ ref('int_case_source_system') }}) = 'synergy'
{%- endif %}
{% endtest %}
