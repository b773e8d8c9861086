-- Pupils sheet rows of school returns that were rejected for an error: bronze keeps each whole
-- in load_errors.raw_record (keyed by field name). They are still pupils the school listed. The
-- UPN leaves only as its keyed pseudonym (ephemeral: never materialised); a row whose error is
-- its UPN names no pupil and is left out.
with rejected as (
    select
        sha256,
        row_number,
        any_value(raw_record) as raw_record,
        bool_or(rule = 'invalid_upn') as upn_is_wrong
    from {{ source('bronze', 'load_errors') }}
    where source = 'school_returns'
      and severity = 'error'
      and lower(sheet) = 'pupils'
      and row_number is not null
      and raw_record is not null
    group by sha256, row_number
),

fields as (
    select
        sha256,
        row_number,
        nullif(trim(json_extract_string(raw_record, '$.upn')), '') as upn,
        nullif(trim(json_extract_string(raw_record, '$.nc_year')), '') as nc_year,
        nullif(trim(json_extract_string(raw_record, '$.designation')), '') as designation
    from rejected
    where not upn_is_wrong
)

select
    sha256 as submission_id,
    row_number,
    {{ pseudonym('upn', 'upn') }} as upn_key,
    case when upper(nc_year) = 'R' then 0 else {{ to_int('nc_year') }} end as nc_year,
    upper(designation) as designation
from fields
