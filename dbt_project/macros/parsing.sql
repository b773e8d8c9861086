{#- Typing of bronze text. Bronze has already rejected values that break the contract, so these
    only turn valid text into types. Engine-specific SQL is kept to these macros. -#}

{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'send_data_platform')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    cast(coalesce(
        try_strptime({{ column }}, '%d/%m/%Y'),
        try_strptime({{ column }}, '%d-%m-%Y'),
        try_strptime({{ column }}, '%Y-%m-%d')
    ) as date)
{%- endmacro %}

{% macro parse_flag(column) -%}
    case
        when lower(trim({{ column }})) in ('y', 'yes', '1', 'true') then true
        when lower(trim({{ column }})) in ('n', 'no', '0', 'false') then false
    end
{%- endmacro %}

{% macro to_int(column) -%}
    {{ try_cast_as(column, dbt.type_int()) }}
{%- endmacro %}

{% macro to_number(column) -%}
    {{ try_cast_as(column, dbt.type_numeric()) }}
{%- endmacro %}

{#- A cast that gives null instead of failing. dbt-duckdb's dbt.safe_cast is a plain CAST, so
    DuckDB gets its own TRY_CAST; other engines use dbt.safe_cast. -#}
{% macro try_cast_as(column, type) -%}
    {{ return(adapter.dispatch('try_cast_as', 'send_data_platform')(column, type)) }}
{%- endmacro %}

{% macro default__try_cast_as(column, type) -%}
    {{ dbt.safe_cast(column, type) }}
{%- endmacro %}

{% macro duckdb__try_cast_as(column, type) -%}
    try_cast({{ column }} as {{ type }})
{%- endmacro %}

{#- Keyed pseudonym (HMAC-SHA256, see orchestration/pseudonymise.py). The UDF is registered on
    every dbt connection by the project's dbt-duckdb plugin. -#}
{% macro pseudonym(kind, column) -%}
    send_pseudonym('{{ kind }}', cast({{ column }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- Straight-line distance in km between two British National Grid points (metres). -#}
{% macro bng_distance_km(e1, n1, e2, n2) -%}
    round(sqrt(power({{ e1 }} - {{ e2 }}, 2) + power({{ n1 }} - {{ n2 }}, 2)) / 1000.0, 3)
{%- endmacro %}

{#- NC year of a child in the academic year starting 1 Sep `start_year`, given the year the
    child starts Reception (age 4 on 31 August). -#}
{% macro nc_year(start_year, reception_year) -%}
    ({{ start_year }} - {{ reception_year }})
{%- endmacro %}

{% macro phase_of_nc_year(nc_year) -%}
    case
        when {{ nc_year }} < 0 then 'Early years'
        when {{ nc_year }} <= 6 then 'Primary'
        when {{ nc_year }} <= 11 then 'Secondary'
        else 'Post-16'
    end
{%- endmacro %}

{#- On roll at a date (docs/DEFINITIONS.md): entry on or before, and not left on or before it. -#}
{% macro on_roll_at(entry_date, leaving_date, at_date) -%}
    ({{ entry_date }} <= {{ at_date }} and ({{ leaving_date }} is null or {{ leaving_date }} > {{ at_date }}))
{%- endmacro %}

{#- Third Thursday of January inside the academic year starting 1 Sep `start_year`. -#}
{% macro census_day(start_year) -%}
    {{ return(adapter.dispatch('census_day', 'send_data_platform')(start_year)) }}
{%- endmacro %}

{% macro default__census_day(start_year) -%}
    (make_date({{ start_year }} + 1, 1, 1)
        + cast(((4 - isodow(make_date({{ start_year }} + 1, 1, 1)) + 7) % 7) + 14 as integer))
{%- endmacro %}

{% macro integer_series(first, last, name) -%}
    {{ return(adapter.dispatch('integer_series', 'send_data_platform')(first, last, name)) }}
{%- endmacro %}

{% macro default__integer_series(first, last, name) -%}
    select cast(unnest(range({{ first }}, {{ last }} + 1)) as integer) as {{ name }}
{%- endmacro %}

{#- A Synergy bronze row version (alias `alias`) that was in the extract of `extract_date`:
    how any earlier night's state is reconstructed from validity ranges. -#}
{% macro synergy_as_of(alias, extract_date) -%}
    ({{ alias }}._valid_from <= {{ extract_date }}
        and ({{ alias }}._valid_to is null or {{ alias }}._valid_to > {{ extract_date }}))
{%- endmacro %}
