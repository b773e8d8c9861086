-- School return workbooks as received, typed; the academic year is the folder's.
select
    _sha256 as submission_id,
    _source_file as source_file,
    _academic_year as academic_year,
    cast(left(_academic_year, 4) as integer) as academic_year_start,
    urn,
    school_name,
    academic_year as stated_academic_year,
    {{ parse_date('date_completed') }} as date_completed,
    received_at,
    template_version,
    status,
    {{ to_int('error_count') }} as error_count,
    {{ to_int('warning_count') }} as warning_count
from {{ source('bronze', 'return_submissions') }}
