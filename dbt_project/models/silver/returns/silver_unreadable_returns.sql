-- Return workbooks received that could not be read (quarantined) and are still in the landing
-- folder: one row per file, with the school when its file name tells it (see
-- silver_return_submission). The reason is the rule's plain description (seed
-- ref_return_quarantine_rules), never the reader's message: that can quote what the workbook
-- holds (bronze.load_errors keeps it).
with rules as (
    select source_file, submission_id, min(rule) as rule
    from {{ ref('stg_returns__load_errors') }}
    group by source_file, submission_id
)

select
    s.source_file,
    s.academic_year,
    s.urn,
    coalesce(r.rule, 'unreadable') as rule,
    coalesce(q.problem, 'the workbook could not be read as an SRP return') as reason,
    s.received_at
from {{ ref('silver_return_submission') }} as s
left join rules as r on s.source_file = r.source_file and s.submission_id = r.submission_id
left join {{ ref('ref_return_quarantine_rules') }} as q on q.rule = r.rule
where s.status = 'quarantined'
