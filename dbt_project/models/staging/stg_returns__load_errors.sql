-- Problems found while loading school return workbooks that stopped a workbook being read
-- (error severity): the rule only, never the message (it can quote what the workbook holds).
select
    source_file,
    sha256 as submission_id,
    rule
from {{ source('bronze', 'load_errors') }}
where source = 'school_returns' and severity = 'error'
