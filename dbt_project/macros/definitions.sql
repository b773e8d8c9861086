{#- Shared date rules of the definitions (docs/DEFINITIONS.md): one macro per rule, so every table that uses a
    rule draws the same boundary. -#}

{#- The day exactly 12 months before `census_date` (a date). -#}
{% macro twelve_months_before(census_date) -%}
    cast({{ dbt.dateadd('month', -12, census_date) }} as date)
{%- endmacro %}

{#- `event_date` is within the 12 months before `census_date`: on or after the day exactly 12
    months before it (inclusive) and on or before census day. -#}
{% macro within_12_months_before(event_date, census_date) -%}
    ({{ event_date }} >= {{ twelve_months_before(census_date) }} and {{ event_date }} <= {{ census_date }})
{%- endmacro %}

{#- A plan starting on `start_date` is due an annual review on `census_date`: it started more
    than 12 months before census day (before the day exactly 12 months before it). -#}
{% macro due_annual_review(start_date, census_date) -%}
    ({{ start_date }} < {{ twelve_months_before(census_date) }})
{%- endmacro %}
