{{ config(meta={'dagster': {'ref': {'name': 'silver_placement'}}}) }}
-- Every record of the latest SEN2 return that staging maps reaches its staging model once, and
-- its silver table while silver reads SEN2 (int_case_source_system): the joins through
-- parents (request -> person, plan -> request, placement and need -> active plan -> plan)
-- neither drop a record (a parent missing) nor repeat one. The SEN2 counterpart of the
-- matches_bronze_row_count checks of Synergy. Counts only, never a value: one row per module
-- whose counts differ.

-- depends_on: {{ ref('silver_placement') }}  (the asset Dagster shows this check on)
{% set mapped = [
    ('person', 'stg_sen2__person', 'silver_person'),
    ('requests', 'stg_sen2__request', 'silver_request'),
    ('assessment', 'stg_sen2__assessment', none),
    ('placement_detail', 'stg_sen2__placement', 'silver_placement'),
    ('sen_need', 'stg_sen2__sen_need', none),
    ('active_plans', 'stg_sen2__annual_review', 'silver_annual_review'),
] %}
with reads_sen2 as (
    select source_system = 'sen2' as yes from {{ ref('int_case_source_system') }}
),

counts as (
    {%- for module, staged, silver in mapped %}
    select
        '{{ module }}' as module,
        (select count(*) from {{ sen2_latest(module) }}
         {%- if module == 'active_plans' %} where reviewmeeting is not null or lastreview is not null{% endif %}) as records,
        (select count(*) from {{ ref(staged) }}) as staged,
        {%- if silver %}
        case when (select yes from reads_sen2) then (select count(*) from {{ ref(silver) }}) end as in_silver
        {%- else %}
        cast(null as bigint) as in_silver
        {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select module, records, staged, in_silver
from counts
where records <> staged or in_silver <> records
