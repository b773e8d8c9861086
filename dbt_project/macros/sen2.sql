{#- Reading the SEN2 person-level return's bronze tables (docs/SEN2.md, "Design of the next
    step"): typing of its dates, the current rows of every return and the history built from
    them ("History from several returns"), and the union of
    the case-management sources silver reads (int_<entity>_sources). reception_year is shared
    with stg_synergy__person. -#}

{#- A SEN2 date: `yyyy-mm-dd` (the XML return) or `yyyy-Mon-dd 00:00:00` (the COLLECT Blade
    export); null when it is neither (ingestion has rejected such a value already). -#}
{% macro parse_sen2_date(column) -%}
    {{ return(adapter.dispatch('parse_sen2_date', 'send_data_platform')(column)) }}
{%- endmacro %}

{% macro default__parse_sen2_date(column) -%}
    cast(coalesce(
        try_strptime({{ column }}, '%Y-%m-%d'),
        try_strptime({{ column }}, '%Y-%b-%d %H:%M:%S'),
        try_strptime({{ column }}, '%Y-%b-%d')
    ) as date)
{%- endmacro %}

{#- The records of one SEN2 module (spec.MODULES key: person, requests, ...) of every return
    loaded, the current version of each return's file only (a return landed again replaces
    its earlier file; returns of other extract dates stay): a relation to select from. Staging
    builds each entity's history from every return (docs/SEN2.md, "History from several
    returns"). -#}
{% macro sen2_current(module) -%}
    (select * from {{ source('bronze', 'sen2_' ~ module) }}
     where _superseded_by_sha256 is null)
{%- endmacro %}

{#- A SEN2 record's id, unique across returns: the return's extract date (yyyymmdd) and the
    record's position in its module (a module holds at most 5,000,000 records,
    xml_reader.Limits), e.g. 2025013000000042. Ids join staging only; keys are what hold
    across returns. -#}
{% macro sen2_record_id(position, extract_date='_extract_date') -%}
    (cast(strftime({{ extract_date }}, '%Y%m%d') as bigint) * 100000000 + {{ position }})
{%- endmacro %}

{#- True on the version of each entity that staging keeps: the one from the latest return
    holding it (`key`: the entity's natural key columns). -#}
{% macro sen2_is_latest_version(key, extract_date='_extract_date') -%}
    row_number() over (partition by {{ key }} order by {{ extract_date }} desc) = 1
{%- endmacro %}

{#- The census day from which the case-management source silver reads gives each census
    year's state: the first SEN2 return's reference date (a return holds every plan active on
    its census, and the returns after it what changed since), and no bound for Synergy, whose
    extract holds the case history (silver_source_coverage). -#}
{% macro first_census_covered() -%}
    select coalesce(min(first_census_date), date '1900-01-01') from {{ ref('silver_source_coverage') }}
{%- endmacro %}

{#- The first calendar year whose requests and plans the case-management source gives whole:
    the calendar year before the first SEN2 return's census (a return holds the requests of
    that year; of earlier years only those still open or carrying a plan), and no bound (0)
    for Synergy. -#}
{% macro first_complete_calendar_year() -%}
    select coalesce(min(first_collection_year) - 1, 0) from {{ ref('silver_source_coverage') }}
{%- endmacro %}

{#- A postcode as it is matched against the postcode lookup: upper case, every space removed
    (the bronze.postcodes.postcode_key rule). -#}
{% macro postcode_match_key(column) -%}
    regexp_replace(upper({{ column }}), '\s', '', 'g')
{%- endmacro %}

{#- The September a child starts Reception (age 4 on 31 August) given the date of birth: the
    NC year in the academic year starting in September Y is Y minus this. -#}
{% macro reception_year(date_of_birth) -%}
    (extract(year from {{ date_of_birth }})
        + 4 + case when extract(month from {{ date_of_birth }}) >= 9 then 1 else 0 end)
{%- endmacro %}

{#- The academic year start (the September's calendar year) of the academic year holding
    `day`. -#}
{% macro academic_year_start_of(day) -%}
    (extract(year from {{ day }}) - case when extract(month from {{ day }}) < 9 then 1 else 0 end)
{%- endmacro %}

{#- The rows of one entity from the case-management source silver reads
    (int_case_source_system): stg_synergy__<entity> union all stg_sen2__<entity> (the same
    columns in the same order, or the `columns` named), with a `source_system` column, only the
    chosen source's rows kept. -#}
{% macro case_source_rows(entity, columns=none) -%}
{%- for system in ['synergy', 'sen2'] %}
select '{{ system }}' as source_system,
    {%- if columns %} {% for c in columns %}rows_.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    {%- else %} rows_.*{% endif %}
from {{ ref('stg_' ~ system ~ '__' ~ entity) }} as rows_
where (select source_system from {{ ref('int_case_source_system') }}) = '{{ system }}'
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endmacro %}
