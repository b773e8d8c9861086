{#- Helpers of the school return models. Engine-specific SQL stays in here. -#}

{#- Each run of digits in `column`, one row each: use as a select-list expression. -#}
{% macro digit_runs(column) -%}
    {{ return(adapter.dispatch('digit_runs', 'send_data_platform')(column)) }}
{%- endmacro %}

{% macro default__digit_runs(column) -%}
    unnest(regexp_extract_all({{ column }}, '[0-9]+'))
{%- endmacro %}
