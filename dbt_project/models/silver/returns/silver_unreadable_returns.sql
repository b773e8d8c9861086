-- Return workbooks received that could not be read (quarantined) and are still in the landing
-- folder: one row per file, with the school when its file name tells it (see
-- silver_return_submission). The reason is the rule's plain description, never the reader's
-- message: that can quote what the workbook holds (bronze.load_errors keeps it).
with rules as (
    select source_file, sha256, min(rule) as rule
    from {{ source('bronze', 'load_errors') }}
    where source = 'school_returns' and severity = 'error'
    group by source_file, sha256
)

select
    s.source_file,
    s.academic_year,
    s.urn,
    coalesce(r.rule, 'unreadable') as rule,
    case coalesce(r.rule, 'unreadable')
        when 'empty_file' then 'the file is empty (0 bytes)'
        when 'password_protected' then 'password protected, or an old Excel 97-2003 .xls file'
        when 'not_a_workbook' then 'not an Excel .xlsx workbook (e.g. a CSV renamed to .xlsx)'
        when 'damaged_workbook' then 'a damaged or incomplete workbook (cut short while saving or uploading)'
        when 'missing_sheet' then 'a sheet of the template was renamed or deleted'
        when 'unknown_template' then 'not the council''s SRP return template, or a template version no longer supported'
        when 'changed_headers' then 'the template''s headings were changed'
        when 'bad_folder_name' then 'not filed in a folder named by academic year (school_returns/<YYYY-YY>/)'
        else 'the workbook could not be read as an SRP return'
    end as reason,
    s.received_at
from {{ ref('silver_return_submission') }} as s
left join rules as r on s.source_file = r.source_file and s.submission_id = r.sha256
where s.status = 'quarantined'
