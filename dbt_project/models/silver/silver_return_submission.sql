-- One row per school return workbook received. The latest valid return for a school and year
-- (latest date completed, then latest received) is current; earlier valid ones are superseded.
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
)

select
    submission_id,
    source_file,
    urn,
    school_name,
    academic_year,
    academic_year_start,
    stated_academic_year,
    date_completed,
    received_at,
    deadline,
    coalesce(date_completed, cast(received_at as date)) > deadline as is_late,
    template_version,
    status,
    status = 'valid' as is_valid,
    coalesce(valid_rank = 1, false) as is_current,
    coalesce(valid_rank > 1, false) as is_superseded,
    error_count,
    warning_count
from ranked
