-- SRP performance indicators per SRP school x academic year, rolled up to the SCHOOL's
-- district, area and county, each with a RAG status from seed ref_kpi_thresholds and an
-- overall RAG (the worst of the KPIs that have data).
{% set kpis = ['attendance_pct', 'suspension_days_per_pupil', 'permanent_exclusion_pct',
               'timetable_in_mainstream_pct', 'annual_reviews_on_time_pct',
               'parents_satisfied_pct', 'pupils_meeting_outcomes_pct', 'occupancy_pct'] %}
{% set rag_columns = [] %}
{% for kpi in kpis %}{% do rag_columns.append(kpi ~ '_rag') %}{% endfor %}
with years as (
    {{ census_years_covered() }}
),

schools as (
    select r.academic_year, y.census_date, r.urn, min(r.school_name) as school_name,
           min(r.district) as district, min(r.area) as area,
           sum(r.commissioned_places) as commissioned_places
    from {{ ref('silver_srp') }} as r
    inner join years as y on r.academic_year = y.academic_year
    group by r.academic_year, y.census_date, r.urn
),

census_pupils as (
    select distinct academic_year, urn, person_key
    from {{ ref('silver_srp_census_pupils') }}
),

pupils_on_roll as (
    select academic_year, urn, count(*) as pupils_on_roll
    from census_pupils
    group by academic_year, urn
),

-- annual reviews (Synergy; the definition is in the model's description) of the SRP pupils on census day: plans
-- that started more than 12 months before census day, reviewed on time when the latest review
-- meeting on or before census day is within the 12 months before it (the same macros as
-- ehcp_timeliness: the day exactly 12 months before is included)
reviews as (
    select
        c.academic_year, c.urn, c.person_key,
        max(ar.review_meeting_date) as latest_review_date
    from census_pupils as c
    inner join {{ ref('silver_census_state') }} as cs
        on c.person_key = cs.person_key and c.academic_year = cs.academic_year
    inner join {{ ref('silver_plan') }} as p on cs.plan_key = p.plan_key
    left join {{ ref('silver_annual_review') }} as ar
        on p.plan_key = ar.plan_key and ar.review_meeting_date <= cs.census_date
    where {{ due_annual_review('p.start_date', 'cs.census_date') }}
    group by c.academic_year, c.urn, c.person_key
),

review_counts as (
    select
        r.academic_year, r.urn,
        count(*) as annual_reviews_due,
        sum(case when {{ within_12_months_before('r.latest_review_date', 'y.census_date') }}
            then 1 else 0 end) as annual_reviews_on_time
    from reviews as r
    inner join years as y on r.academic_year = y.academic_year
    group by r.academic_year, r.urn
),

current_return as (
    select s.submission_id, s.urn, s.academic_year
    from {{ ref('silver_return_submission') }} as s
    where s.is_current
),

return_pupils as (
    select
        cr.academic_year, cr.urn,
        count(*) as return_pupils,
        sum(rp.attendance_pct) as attendance_pct_sum,
        count(rp.attendance_pct) as attendance_pct_count,
        sum(rp.timetable_in_mainstream_pct) as timetable_pct_sum,
        count(rp.timetable_in_mainstream_pct) as timetable_pct_count,
        coalesce(sum(rp.suspension_days), 0) as suspension_days,
        sum(case when rp.is_permanently_excluded then 1 else 0 end) as permanent_exclusions
    from current_return as cr
    inner join {{ ref('silver_return_pupils') }} as rp on cr.submission_id = rp.submission_id
    group by cr.academic_year, cr.urn
),

school_level as (
    select
        s.academic_year, s.area, s.district, s.urn, s.school_name,
        s.commissioned_places,
        coalesce(pr.pupils_on_roll, 0) as pupils_on_roll,
        case when cr.urn is not null then 1 else 0 end as has_return,
        case when cr.urn is not null then coalesce(rp.return_pupils, 0) end as return_pupils,
        rp.attendance_pct_sum, rp.attendance_pct_count, rp.timetable_pct_sum,
        rp.timetable_pct_count, rp.suspension_days, rp.permanent_exclusions,
        coalesce(rc.annual_reviews_due, 0) as annual_reviews_due,
        coalesce(rc.annual_reviews_on_time, 0) as annual_reviews_on_time,
        o.outreach_sessions,
        o.parents_satisfied_pct,
        o.pupils_meeting_outcomes_pct
    from schools as s
    left join pupils_on_roll as pr on s.academic_year = pr.academic_year and s.urn = pr.urn
    left join current_return as cr on s.academic_year = cr.academic_year and s.urn = cr.urn
    left join return_pupils as rp on s.academic_year = rp.academic_year and s.urn = rp.urn
    left join review_counts as rc on s.academic_year = rc.academic_year and s.urn = rc.urn
    left join {{ ref('silver_return_outcomes') }} as o on cr.submission_id = o.submission_id
),

rolled_up as (
    {%- for level, keys in rollup_levels() %}
    {{ 'union all' if not loop.first }}
    select
        {{ level_columns(level) }}
        count(*) as srp_schools,
        sum(commissioned_places) as commissioned_places,
        sum(pupils_on_roll) as pupils_on_roll,
        sum(has_return) as schools_with_return,
        sum(return_pupils) as return_pupils,
        sum(attendance_pct_sum) as attendance_pct_sum,
        sum(attendance_pct_count) as attendance_pct_count,
        sum(timetable_pct_sum) as timetable_pct_sum,
        sum(timetable_pct_count) as timetable_pct_count,
        sum(suspension_days) as suspension_days,
        sum(permanent_exclusions) as permanent_exclusions,
        sum(annual_reviews_due) as annual_reviews_due,
        sum(annual_reviews_on_time) as annual_reviews_on_time,
        sum(outreach_sessions) as outreach_sessions,
        avg(parents_satisfied_pct) as parents_satisfied_pct,
        avg(pupils_meeting_outcomes_pct) as pupils_meeting_outcomes_pct
    from school_level
    group by academic_year{{ ', ' ~ keys if keys }}
    {%- endfor %}
),

measures as (
    select
        level,
        {{ level_key() }} as level_key,
        academic_year,
        area,
        district,
        urn,
        school_name,
        cast(srp_schools as {{ dbt.type_int() }}) as srp_schools,
        cast(commissioned_places as {{ dbt.type_int() }}) as commissioned_places,
        cast(pupils_on_roll as {{ dbt.type_int() }}) as pupils_on_roll,
        {{ safe_ratio('100.0 * pupils_on_roll', 'commissioned_places', 1) }} as occupancy_pct,
        cast(schools_with_return as {{ dbt.type_int() }}) as schools_with_return,
        cast(return_pupils as {{ dbt.type_int() }}) as return_pupils,
        {{ safe_ratio('attendance_pct_sum', 'attendance_pct_count', 1) }} as attendance_pct,
        cast(round(suspension_days, 1) as double) as suspension_days,  -- rounded exactly, then DOUBLE like the rates
        {{ safe_ratio('suspension_days', 'return_pupils', 2) }} as suspension_days_per_pupil,
        cast(permanent_exclusions as {{ dbt.type_int() }}) as permanent_exclusions,
        {{ safe_ratio('100.0 * permanent_exclusions', 'return_pupils', 1) }} as permanent_exclusion_pct,
        {{ safe_ratio('timetable_pct_sum', 'timetable_pct_count', 1) }} as timetable_in_mainstream_pct,
        cast(annual_reviews_due as {{ dbt.type_int() }}) as annual_reviews_due,
        cast(annual_reviews_on_time as {{ dbt.type_int() }}) as annual_reviews_on_time,
        {{ safe_ratio('100.0 * annual_reviews_on_time', 'annual_reviews_due', 1) }} as annual_reviews_on_time_pct,
        cast(outreach_sessions as {{ dbt.type_int() }}) as outreach_sessions,
        round(parents_satisfied_pct, 1) as parents_satisfied_pct,
        round(pupils_meeting_outcomes_pct, 1) as pupils_meeting_outcomes_pct
    from rolled_up
),

with_rag as (
    select
        m.*
        {%- for kpi in kpis %},
        {{ rag_status('m.' ~ kpi, 't_' ~ kpi) }} as {{ kpi }}_rag
        {%- endfor %}
    from measures as m
    {%- for kpi in kpis %}
    left join {{ ref('ref_kpi_thresholds') }} as t_{{ kpi }} on t_{{ kpi }}.kpi = '{{ kpi }}'
    {%- endfor %}
)

select
    *,
    {{ overall_rag(rag_columns) }} as overall_rag
from with_rag
