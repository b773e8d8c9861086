-- EHC plan timeliness per calendar year, for the council (county) and by the pupil's HOME area
-- and district, with DfE's published figures for the council's LA (ref_council.la_code), its
-- region (ref_council.region) and England beside them.
-- Synergy events are counted in the calendar year they happened in: requests by received date,
-- plans issued by assessment outcome date, annual reviews on the census day in January.
with requests as (
    select
        r.*,
        p.home_area,
        p.home_district
    from {{ ref('silver_request') }} as r
    inner join {{ ref('silver_person') }} as p on r.person_key = p.person_key
),

-- Every plan active on a census day (the person's newest): due a review when it started more
-- than 12 months before census day; reviewed in time when its latest review meeting on or before
-- census day is within the 12 months before it (the day exactly 12 months before included).
census_plans as (
    select c.plan_key, c.census_date, c.home_area, c.home_district, p.start_date
    from {{ ref('silver_census_state') }} as c
    inner join {{ ref('silver_plan') }} as p on c.plan_key = p.plan_key
),

review_status as (
    select
        cp.census_date,
        cp.home_area,
        cp.home_district,
        case when {{ due_annual_review('cp.start_date', 'cp.census_date') }} then 1 else 0 end
            as is_review_due,
        case when {{ due_annual_review('cp.start_date', 'cp.census_date') }}
            and {{ within_12_months_before('max(r.review_meeting_date)', 'cp.census_date') }}
            then 1 else 0 end as is_reviewed_within_12_months
    from census_plans as cp
    left join {{ ref('silver_annual_review') }} as r
        on cp.plan_key = r.plan_key and r.review_meeting_date <= cp.census_date
    group by cp.plan_key, cp.census_date, cp.home_area, cp.home_district, cp.start_date
),

-- One row per case-management event. Request and plan-issued events carry 0/1 flags for each
-- other's measures (a year with requests but no plan issued has 0 plans issued); census-day
-- review events carry NULL for them, so a year seen only through a census day (before the
-- request history starts) shows NULL rather than 0 requests, and vice versa for reviews.
events as (
    select
        extract(year from received_date) as calendar_year,
        home_area,
        home_district,
        1 as is_request,
        case when request_outcome in ('A', 'N') then 1 else 0 end as is_decided_request,
        case when request_outcome = 'N' then 1 else 0 end as is_refused_request,
        0 as is_plan_issued,
        0 as is_issued_within_20_weeks,
        0 as is_plan_issued_excl_exceptions,
        0 as is_issued_within_20_weeks_excl_exceptions,
        cast(null as date) as census_date,
        cast(null as integer) as is_review_due,
        cast(null as integer) as is_reviewed_within_12_months
    from requests

    union all

    select
        extract(year from assessment_outcome_date) as calendar_year,
        home_area,
        home_district,
        0, 0, 0,
        1 as is_plan_issued,
        case when days_to_plan_issued <= 140 then 1 else 0 end,
        case when not has_week20_exception then 1 else 0 end,
        case when not has_week20_exception and days_to_plan_issued <= 140 then 1 else 0 end,
        null, null, null
    from requests
    where assessment_outcome = 'I' and assessment_outcome_date is not null

    union all

    select
        extract(year from census_date) as calendar_year,
        home_area,
        home_district,
        null, null, null, null, null, null, null,
        census_date,
        is_review_due,
        is_reviewed_within_12_months
    from review_status
),

{% set measures %}
        cast(sum(is_request) as {{ dbt.type_int() }}) as requests_received,
        cast(sum(is_decided_request) as {{ dbt.type_int() }}) as requests_decided,
        cast(sum(is_refused_request) as {{ dbt.type_int() }}) as requests_refused,
        cast(sum(is_plan_issued) as {{ dbt.type_int() }}) as plans_issued,
        cast(sum(is_issued_within_20_weeks) as {{ dbt.type_int() }}) as plans_issued_within_20_weeks,
        cast(sum(is_plan_issued_excl_exceptions) as {{ dbt.type_int() }}) as plans_issued_excl_exceptions,
        cast(sum(is_issued_within_20_weeks_excl_exceptions) as {{ dbt.type_int() }}) as plans_issued_within_20_weeks_excl_exceptions,
        max(census_date) as review_census_date,
        cast(sum(is_review_due) as {{ dbt.type_int() }}) as plans_due_annual_review,
        cast(sum(is_reviewed_within_12_months) as {{ dbt.type_int() }}) as reviewed_within_12_months
{% endset %}

synergy as (
    select 'county' as level, calendar_year, null as area, null as district, {{ measures }}
    from events
    group by calendar_year
    union all
    select 'area', calendar_year, home_area, null, {{ measures }}
    from events
    group by calendar_year, home_area
    union all
    select 'district', calendar_year, home_area, home_district, {{ measures }}
    from events
    group by calendar_year, home_area, home_district
),

{% set dfe_geographies = [
    ('la', "geographic_level = 'Local authority' and old_la_code = (select la_code from " ~ ref('ref_council') ~ ")"),
    ('region', "geographic_level = 'Regional' and region_name = (select region from " ~ ref('ref_council') ~ ")"),
    ('england', "geographic_level = 'National'"),
] %}

-- DfE's rates are DECIMAL(28,6) in silver: DOUBLE here like the council's own rates, one
-- fractional type per table for BI tools (a DECIMAL over 18 digits is a 128-bit integer inside).
dfe as (
    select
        calendar_year,
        {%- for geo, condition in dfe_geographies %}
        cast(max(case when {{ condition }} then inreq_ehc end) as {{ dbt.type_int() }}) as dfe_{{ geo }}_requests_received,
        cast(max(case when {{ condition }} then ass_refused_ehc_pc end) as double) as dfe_{{ geo }}_requests_refused_pct,
        max(case when {{ condition }} then ass_refused_ehc_pc_symbol end) as dfe_{{ geo }}_requests_refused_pct_symbol,
        cast(max(case when {{ condition }} then tot_inc_exc_ehc end) as {{ dbt.type_int() }}) as dfe_{{ geo }}_plans_issued,
        cast(max(case when {{ condition }} then inc_exc_20week_rate end) as double) as dfe_{{ geo }}_within_20_weeks_pct,
        max(case when {{ condition }} then inc_exc_20week_rate_symbol end) as dfe_{{ geo }}_within_20_weeks_pct_symbol,
        cast(max(case when {{ condition }} then no_exc_20week_rate end) as double) as dfe_{{ geo }}_within_20_weeks_excl_exceptions_pct,
        max(case when {{ condition }} then no_exc_20week_rate_symbol end) as dfe_{{ geo }}_within_20_weeks_excl_exceptions_pct_symbol{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('silver_dfe_sen2_mi') }}
    where {% for geo, condition in dfe_geographies %}({{ condition }}){{ ' or ' if not loop.last }}{% endfor %}
    group by calendar_year
),

-- county rows for every year either source covers; area/district rows where Synergy has events
rows_by_year as (
    select
        coalesce(s.level, 'county') as level,
        coalesce(s.calendar_year, d.calendar_year) as calendar_year,
        s.area,
        s.district,
        s.requests_received, s.requests_decided, s.requests_refused, s.plans_issued,
        s.plans_issued_within_20_weeks, s.plans_issued_excl_exceptions,
        s.plans_issued_within_20_weeks_excl_exceptions, s.review_census_date,
        s.plans_due_annual_review, s.reviewed_within_12_months
    from (select * from synergy where level = 'county') as s
    full outer join dfe as d on s.calendar_year = d.calendar_year
    union all
    select
        level, calendar_year, area, district,
        requests_received, requests_decided, requests_refused, plans_issued,
        plans_issued_within_20_weeks, plans_issued_excl_exceptions,
        plans_issued_within_20_weeks_excl_exceptions, review_census_date,
        plans_due_annual_review, reviewed_within_12_months
    from synergy
    where level <> 'county'
),

-- the span of the Synergy request history: from the first request received to the latest
-- extract; a calendar year it covers only in part (the first and, until 31 December, the
-- latest) counts requests and plans of part of the year only
coverage as (
    select min(received_date) as history_start, ({{ latest_synergy_extract() }}) as history_end
    from {{ ref('silver_request') }}
)

select
    r.level,
    case r.level when 'county' then {{ council_name() }} when 'area' then r.area else r.district end as level_key,
    cast(r.calendar_year as {{ dbt.type_int() }}) as calendar_year,
    coalesce(
        (extract(year from c.history_start) = r.calendar_year
            and c.history_start > make_date(cast(r.calendar_year as integer), 1, 1))
        or (extract(year from c.history_end) = r.calendar_year
            and c.history_end < make_date(cast(r.calendar_year as integer), 12, 31))
        or r.calendar_year < ({{ first_complete_calendar_year() }}),
        false) as is_partial_year,
    r.area,
    r.district,
    r.requests_received,
    r.requests_decided,
    r.requests_refused,
    round(100.0 * r.requests_refused / nullif(r.requests_decided, 0), 1) as requests_refused_pct,
    r.plans_issued,
    r.plans_issued_within_20_weeks,
    round(100.0 * r.plans_issued_within_20_weeks / nullif(r.plans_issued, 0), 1) as within_20_weeks_pct,
    r.plans_issued_excl_exceptions,
    r.plans_issued_within_20_weeks_excl_exceptions,
    round(100.0 * r.plans_issued_within_20_weeks_excl_exceptions
        / nullif(r.plans_issued_excl_exceptions, 0), 1) as within_20_weeks_excl_exceptions_pct,
    r.review_census_date,
    r.plans_due_annual_review,
    r.reviewed_within_12_months,
    round(100.0 * r.reviewed_within_12_months / nullif(r.plans_due_annual_review, 0), 1)
        as reviewed_within_12_months_pct,
    {%- for geo, condition in dfe_geographies %}
    d.dfe_{{ geo }}_requests_received,
    d.dfe_{{ geo }}_requests_refused_pct,
    d.dfe_{{ geo }}_requests_refused_pct_symbol,
    d.dfe_{{ geo }}_plans_issued,
    d.dfe_{{ geo }}_within_20_weeks_pct,
    d.dfe_{{ geo }}_within_20_weeks_pct_symbol,
    d.dfe_{{ geo }}_within_20_weeks_excl_exceptions_pct,
    d.dfe_{{ geo }}_within_20_weeks_excl_exceptions_pct_symbol{{ ',' if not loop.last }}
    {%- endfor %}
from rows_by_year as r
cross join coverage as c
left join dfe as d on r.calendar_year = d.calendar_year
