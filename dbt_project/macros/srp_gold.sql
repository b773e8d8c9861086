{#- Helpers of the SRP gold models (models/gold/srp/). Engine-specific SQL stays in here. -#}

{#- Continuous percentile (linear interpolation) of `column` as an aggregate: 0.5 = median. -#}
{% macro percentile(column, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'send_data_platform')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{#- Academic years whose census day the latest Synergy extract covers (census day on or before
    the extract date): the years for which "on roll on census day" can be counted
    (docs/DEFINITIONS.md, Census day). -#}
{#- The date of the latest case-management extract loaded (Synergy's, or the SEN2 return's when
    silver reads SEN2: int_extracts_sources): what the warehouse knows up to. -#}
{% macro latest_synergy_extract() -%}
    select max(extract_date) from {{ ref('int_extracts_sources') }}
{%- endmacro %}

{% macro census_years_covered() -%}
    select y.academic_year, y.academic_year_start, y.census_date
    from {{ ref('silver_academic_years') }} as y
    where y.census_date <= ({{ latest_synergy_extract() }})
      and y.census_date >= ({{ first_census_covered() }})
{%- endmacro %}

{#- `numerator / denominator` rounded to `digits`, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator, digits=4) -%}
    case when ({{ denominator }}) > 0 then round(1.0 * ({{ numerator }}) / ({{ denominator }}), {{ digits }}) end
{%- endmacro %}

{#- RAG status of KPI column `kpi` against its row in seed ref_kpi_thresholds joined as
    `alias`: direction 'higher' = Green from green_from up, Amber from amber_from up, else Red;
    'lower' = Green up to green_from, Amber up to amber_from, else Red. Null value: null. -#}
{% macro rag_status(kpi, alias) -%}
    case
        when {{ kpi }} is null or {{ alias }}.kpi is null then null
        when {{ alias }}.direction = 'higher' then case
            when {{ kpi }} >= {{ alias }}.green_from then 'Green'
            when {{ kpi }} >= {{ alias }}.amber_from then 'Amber'
            else 'Red' end
        else case
            when {{ kpi }} <= {{ alias }}.green_from then 'Green'
            when {{ kpi }} <= {{ alias }}.amber_from then 'Amber'
            else 'Red' end
    end
{%- endmacro %}

{#- Overall RAG over several RAG columns: Red if any is Red, else Amber if any is Amber, else
    Green if any is Green, else null (no KPI had data). -#}
{% macro overall_rag(rag_columns) -%}
    case
        {%- for status in ['Red', 'Amber', 'Green'] %}
        when '{{ status }}' in ({{ rag_columns | join(', ') }}) then '{{ status }}'
        {%- endfor %}
    end
{%- endmacro %}
