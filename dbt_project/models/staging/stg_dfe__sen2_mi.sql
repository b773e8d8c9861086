-- DfE's published EHC plan statistics (sen2_mi.csv), current file version only, typed. Every
-- bronze value is text; a measure becomes a number, or NULL with the GSS symbol kept beside
-- it (z = not applicable, x = not available, c = confidential). Any other text fails the cast
-- on purpose: a new symbol in a DfE release should be looked at, not read as a number.
{%- set measures = [
    'inreq_ehc', 'ass_refused_ehc', 'ass_refused_ehc_pc', 'ass_none_ehc', 'ass_none_ehc_pc',
    'assessments', 'new_all_ehc', 'new_all_ehc_pc',
    'tot_inc_exc_ehc', 'inc_exc_20week_ehc', 'inc_exc_20week_rate',
    'tot_no_exc_ehc', 'no_exc_20week_ehc', 'no_exc_20week_rate', 'discontinued_total',
] %}
select
    {{ to_int('trim(time_period)') }} as calendar_year,
    trim(time_identifier) as time_identifier,
    trim(geographic_level) as geographic_level,
    nullif(trim(country_code), '') as country_code,
    nullif(trim(country_name), '') as country_name,
    nullif(trim(region_code), '') as region_code,
    nullif(trim(region_name), '') as region_name,
    nullif(trim(new_la_code), '') as new_la_code,
    nullif(trim(old_la_code), '') as old_la_code,
    nullif(trim(la_name), '') as la_name,
    {%- for m in measures %}
    {%- set symbol = "case when lower(trim(" ~ m ~ ")) in ('z', 'x', 'c') then lower(trim(" ~ m ~ ")) end" %}
    {{ to_number("case when " ~ symbol ~ " is null then nullif(trim(" ~ m ~ "), '') end") }} as {{ m }},
    {{ symbol }} as {{ m }}_symbol,
    {%- endfor %}
    _source_file as source_file
from {{ source('bronze', 'dfe_sen2_mi') }}
where _superseded_by_sha256 is null
