-- School return workbooks as received, typed; the academic year is the folder's. A quarantined
-- workbook since taken out of the landing folder (registry status 'removed') is left out: it
-- no longer counts as a return received.
select
    s._sha256 as submission_id,
    s._source_file as source_file,
    regexp_replace(s._source_file, '^.*/', '') as file_name,
    s._academic_year as academic_year,
    cast(left(s._academic_year, 4) as integer) as academic_year_start,
    s.urn,
    s.school_name,
    s.academic_year as stated_academic_year,
    {{ parse_date('s.date_completed') }} as date_completed,
    s.received_at,
    s.template_version,
    s.status,
    {{ to_int('s.error_count') }} as error_count,
    {{ to_int('s.warning_count') }} as warning_count
from {{ source('bronze', 'return_submissions') }} as s
where not exists (
    select 1
    from {{ source('bronze', 'file_registry') }} as f
    where f.source_file = s._source_file and f.sha256 = s._sha256 and f.status = 'removed'
)
