{{ config(meta={'dagster': {'ref': {'name': 'silver_placement'}}}) }}
-- Every record of the latest SEN2 return that staging maps reaches its staging model once: the
-- joins through parents (request -> person, plan -> request, placement and need -> active plan
-- -> plan) neither drop a record (a parent missing) nor repeat one (two parents). Counts only,
-- never a value. Fails with one row per module whose counts differ.

-- depends_on: {{ ref('silver_placement') }}  (the asset Dagster shows this check on)
{% set mapped = [
    ('person', 'stg_sen2__person'), ('requests', 'stg_sen2__request'),
    ('assessment', 'stg_sen2__assessment'), ('placement_detail', 'stg_sen2__placement'),
    ('sen_need', 'stg_sen2__sen_need'), ('active_plans', 'stg_sen2__annual_review'),
] %}
with counts as (
    {%- for module, model in mapped %}
    select
        '{{ module }}' as module,
        (select count(*) from {{ sen2_latest(module) }}
         {%- if module == 'active_plans' %} where reviewmeeting is not null or lastreview is not null{% endif %}) as records,
        (select count(*) from {{ ref(model) }}) as staged
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select module, records, staged from counts where records <> staged
