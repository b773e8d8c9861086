{{ config(meta={'dagster': {'ref': {'name': 'silver_placement'}}}) }}
-- Every record of every SEN2 return loaded that staging maps reaches its entity's versions once
-- (the joins through parents, request -> person and placement -> active plan -> request,
-- neither drop a record, a parent missing, nor repeat one), each entity keeps one row per key
-- across returns (the latest version: docs/SEN2.md, "History from several returns"), and its
-- silver table holds them while silver reads SEN2 (int_case_source_system). The SEN2
-- counterpart of the matches_bronze_row_count checks of Synergy. Counts only, never a value:
-- one row per module whose counts differ.

-- depends_on: {{ ref('silver_placement') }}  (the asset Dagster shows this check on)
{% set mapped = [
    ('person', 'stg_sen2__person_versions', 'person_key', 'stg_sen2__person', 'silver_person'),
    ('requests', 'stg_sen2__request_versions', 'request_key', 'stg_sen2__request', 'silver_request'),
    ('placement_detail', 'stg_sen2__placement_versions', 'placement_key', 'stg_sen2__placement', 'silver_placement'),
] %}
with reads_sen2 as (
    select source_system = 'sen2' as yes from {{ ref('int_case_source_system') }}
),

counts as (
    {%- for module, versions, key, staged, silver in mapped %}
    select
        '{{ module }}' as module,
        (select count(*) from {{ sen2_current(module) }}) as records,
        (select count(*) from {{ ref(versions) }}) as versions,
        (select count(distinct {{ key }}) from {{ ref(versions) }}) as keys,
        (select count(*) from {{ ref(staged) }}) as staged,
        case when (select yes from reads_sen2) then (select count(*) from {{ ref(silver) }}) end as in_silver
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select module, records, versions, keys, staged, in_silver
from counts
where records <> versions or staged <> keys or in_silver <> staged
