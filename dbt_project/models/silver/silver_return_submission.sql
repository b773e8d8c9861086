-- One row per school return workbook received. The latest valid return for a school and year
-- (latest date completed, then latest received) is current; every other return for that
-- school and year received no later than it (valid or not) is superseded by it.
-- A return is late when it was completed (or, with no date, received) after the deadline:
-- var return_deadline_days_after_year_end days after 31 August.
with submissions as (
    select
        s.*,
        y.end_date + {{ var('return_deadline_days_after_year_end') }} as deadline
    from {{ ref('stg_returns__submission') }} as s
    inner join {{ ref('silver_academic_years') }} as y on s.academic_year_start = y.academic_year_start
),

ranked as (
    select
        *,
        case when status = 'valid' then row_number() over (
            partition by urn, academic_year, status = 'valid'
            order by date_completed desc nulls last, received_at desc, submission_id
        ) end as valid_rank
    from submissions
),

current_returns as (
    select urn, academic_year, received_at as current_received_at
    from ranked
    where valid_rank = 1
)

select
    r.submission_id,
    r.source_file,
    r.urn,
    r.school_name,
    r.academic_year,
    r.academic_year_start,
    r.stated_academic_year,
    r.date_completed,
    r.received_at,
    r.deadline,
    coalesce(r.date_completed, cast(r.received_at as date)) > r.deadline as is_late,
    r.template_version,
    r.status,
    r.status = 'valid' as is_valid,
    coalesce(r.valid_rank = 1, false) as is_current,
    coalesce(r.valid_rank is distinct from 1 and r.received_at <= c.current_received_at, false)
        as is_superseded,
    r.error_count,
    r.warning_count
from ranked as r
left join current_returns as c on r.urn = c.urn and r.academic_year = c.academic_year
