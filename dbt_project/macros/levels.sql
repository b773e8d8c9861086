{#- The levels a gold table rolls up to (school -> district -> area -> county), each with the
    key columns it groups by. Loop over it to build one UNION ALL branch per level. -#}
{% macro rollup_levels(school_keys='area, district, urn, school_name') -%}
    {{ return([('school', school_keys), ('district', 'area, district'), ('area', 'area'), ('county', none)]) }}
{%- endmacro %}

{#- The level and geography columns of a roll-up branch at `level` (a trailing comma
    included); `school_columns` carry values only at school level. -#}
{% macro level_columns(level, school_columns=('urn', 'school_name')) -%}
        '{{ level }}' as level,
        academic_year,
        {{ 'area' if level != 'county' else 'null' }} as area,
        {{ 'district' if level in ('school', 'district') else 'null' }} as district,
        {%- for column in school_columns %}
        {{ column if level == 'school' else 'null' }} as {{ column }},
        {%- endfor %}
{%- endmacro %}

{#- The key of a roll-up row: the URN (school), district or area name, or the council's name
    (county: ref_council.la_name, e.g. 'Kent').
    `prefix` is a table alias with its dot, e.g. 'r.'. -#}
{% macro level_key(prefix='') -%}
    case {{ prefix }}level
        when 'county' then {{ council_name() }}
        when 'area' then {{ prefix }}area
        when 'district' then {{ prefix }}district
        else {{ prefix }}urn
    end
{%- endmacro %}

{#- The configured council's short name (ref_council.la_name, e.g. 'Kent'): the level_key of
    every county row. A scalar subquery, so a model needs no join to use it. -#}
{% macro council_name() -%}
    (select la_name from {{ ref('ref_council') }})
{%- endmacro %}
