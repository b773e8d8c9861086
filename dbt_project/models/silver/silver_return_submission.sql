-- One row per school return workbook received (a workbook outside a year folder too, with no
-- year). The latest valid return for a school and year (latest date completed, then latest
-- received) is current; every other VALID return for that school and year is superseded by it
-- (a valid return replaced by a later one). A return not accepted (invalid or unreadable)
-- received no later than the current return is replaced by it: flagged apart
-- (is_replaced_not_accepted), never counted as superseded.
-- A return is late when it was completed (or, with no date, received) after the deadline:
-- var return_deadline_days_after_year_end days after 31 August.
-- A workbook that gives no URN (unreadable, or its URN cell left blank) is the school's whose
-- URN its file name carries, as the outbox names templates (<urn>_<YYYY-YY>_SRP_return.xlsx):
-- a 6-digit number in the name that is a URN in that year's SRP register or, if none is, in
-- GIAS. No such number, or more than one, leaves the URN unknown.
with submissions as (
    select
        s.*,
        y.end_date + {{ var('return_deadline_days_after_year_end') }} as deadline
    from {{ ref('stg_returns__submission') }} as s
    left join {{ ref('silver_academic_years') }} as y on s.academic_year_start = y.academic_year_start
),

file_name_numbers as (
    select submission_id, source_file, academic_year, number
    from (
        select submission_id, source_file, academic_year, {{ digit_runs('file_name') }} as number
        from submissions
        where urn is null
    ) as n
    where length(number) = 6
),

file_name_matches as (
    select
        n.submission_id,
        n.source_file,
        count(distinct r.urn) as register_matches,
        min(r.urn) as register_urn,
        count(distinct e.urn) as gias_matches,
        min(e.urn) as gias_urn
    from file_name_numbers as n
    left join (select distinct academic_year, urn from {{ ref('silver_srp') }}) as r
        on n.number = r.urn and n.academic_year = r.academic_year
    left join {{ ref('silver_establishment') }} as e on n.number = e.urn
    group by n.submission_id, n.source_file
),

file_name_urns as (
    select
        submission_id,
        source_file,
        case
            when register_matches = 1 then register_urn
            when register_matches = 0 and gias_matches = 1 then gias_urn
        end as urn
    from file_name_matches
),

attributed as (
    select
        s.*,
        coalesce(s.urn, f.urn) as school_urn,
        case when s.urn is not null then 'details' when f.urn is not null then 'file_name' end
            as urn_source
    from submissions as s
    left join file_name_urns as f
        on s.submission_id = f.submission_id and s.source_file = f.source_file
),

ranked as (
    select
        *,
        case when status = 'valid' then row_number() over (
            partition by school_urn, academic_year, status = 'valid'
            order by date_completed desc nulls last, received_at desc, submission_id
        ) end as valid_rank
    from attributed
),

current_returns as (
    select school_urn, academic_year, received_at as current_received_at
    from ranked
    where valid_rank = 1
)

select
    r.submission_id,
    r.source_file,
    r.school_urn as urn,
    r.urn_source,
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
    coalesce(r.valid_rank > 1, false) as is_superseded,
    coalesce(r.valid_rank is null and r.received_at <= c.current_received_at, false)
        as is_replaced_not_accepted,
    r.error_count,
    r.warning_count
from ranked as r
left join current_returns as c on r.school_urn = c.school_urn and r.academic_year = c.academic_year
