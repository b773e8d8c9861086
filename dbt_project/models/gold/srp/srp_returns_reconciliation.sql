-- Returns and data checking per SRP school x academic year: which returns came in (valid, late,
-- superseded, unreadable, errors, warnings) and how the current return's pupil list compares with Synergy's
-- pupils in the SRP at any time during the year (silver_return_pupil_reconciliation); rolled up to the
-- SCHOOL's district, area and county. A workbook no school can be told for (unreadable, with no
-- register or GIAS URN in its file name) is not counted here: silver_unreadable_returns lists it.
with years as (
    {{ census_years_covered() }}
),

register_schools as (
    select r.academic_year, r.urn
    from {{ ref('silver_srp') }} as r
    inner join years as y on r.academic_year = y.academic_year
    group by r.academic_year, r.urn
),

submissions as (
    select s.*
    from {{ ref('silver_return_submission') }} as s
    inner join years as y on s.academic_year = y.academic_year
    where s.urn is not null
),

-- schools expected to return (in the register) and schools that returned without being listed
schools as (
    select
        k.academic_year, k.urn,
        max(case when r.urn is not null then 1 else 0 end) as expected_return
    from (
        select academic_year, urn from register_schools
        union
        select academic_year, urn from submissions
    ) as k
    left join register_schools as r on k.academic_year = r.academic_year and k.urn = r.urn
    group by k.academic_year, k.urn
),

submission_counts as (
    select
        academic_year, urn,
        count(*) as returns_received,
        sum(case when is_valid then 1 else 0 end) as returns_valid,
        sum(case when is_late then 1 else 0 end) as returns_late,
        sum(case when is_superseded then 1 else 0 end) as returns_superseded,
        sum(case when status = 'quarantined' then 1 else 0 end) as returns_unreadable,
        sum(coalesce(error_count, 0)) as error_count,
        sum(coalesce(warning_count, 0)) as warning_count,
        max(case when is_current then submission_id end) as current_submission_id
    from submissions
    group by academic_year, urn
),

-- each current return's pupil list against council records: silver_return_pupil_reconciliation
-- (one row per return x pupil, the one place the comparison is made)
reconciliation as (
    select
        academic_year, urn,
        sum(in_return) as return_pupils,
        sum(in_council_records * in_return) as pupils_in_both,
        sum(in_council_records * (1 - in_return)) as pupils_only_in_synergy,
        sum(in_return * (1 - in_council_records)) as pupils_only_in_return,
        sum(designation_mismatch) as designation_mismatches,
        sum(nc_year_mismatch) as nc_year_mismatches
    from {{ ref('silver_return_pupil_reconciliation') }}
    where is_current
    group by academic_year, urn
),

synergy_counts as (
    select academic_year, urn, count(*) as synergy_pupils
    from {{ ref('silver_srp_pupils_in_year') }}
    group by academic_year, urn
),

school_level as (
    select
        s.academic_year,
        coalesce(e.area, 'Unknown') as area,
        coalesce(e.district, 'Unknown') as district,
        s.urn,
        e.establishment_name as school_name,
        s.expected_return,
        case when coalesce(c.returns_received, 0) = 0 then s.expected_return else 0 end
            as missing_return,
        case when c.current_submission_id is not null then 1 else 0 end as has_current_return,
        coalesce(c.returns_received, 0) as returns_received,
        coalesce(c.returns_valid, 0) as returns_valid,
        coalesce(c.returns_late, 0) as returns_late,
        coalesce(c.returns_superseded, 0) as returns_superseded,
        coalesce(c.returns_unreadable, 0) as returns_unreadable,
        coalesce(c.error_count, 0) as error_count,
        coalesce(c.warning_count, 0) as warning_count,
        coalesce(sc.synergy_pupils, 0) as synergy_pupils,
        case when c.current_submission_id is not null then coalesce(r.return_pupils, 0) end as return_pupils,
        case when c.current_submission_id is not null then coalesce(r.pupils_in_both, 0) end as pupils_in_both,
        case when c.current_submission_id is not null
            then coalesce(r.pupils_only_in_synergy, 0) end as pupils_only_in_synergy,
        case when c.current_submission_id is not null then coalesce(r.pupils_only_in_return, 0) end as pupils_only_in_return,
        case when c.current_submission_id is not null then coalesce(r.designation_mismatches, 0) end as designation_mismatches,
        case when c.current_submission_id is not null then coalesce(r.nc_year_mismatches, 0) end as nc_year_mismatches
    from schools as s
    left join {{ ref('silver_establishment') }} as e on s.urn = e.urn
    left join submission_counts as c on s.academic_year = c.academic_year and s.urn = c.urn
    left join reconciliation as r on s.academic_year = r.academic_year and s.urn = r.urn
    left join synergy_counts as sc on s.academic_year = sc.academic_year and s.urn = sc.urn
),

{% set measures = ['expected_return', 'missing_return', 'has_current_return', 'returns_received',
                   'returns_valid', 'returns_late', 'returns_superseded', 'returns_unreadable', 'error_count',
                   'warning_count', 'synergy_pupils', 'return_pupils', 'pupils_in_both',
                   'pupils_only_in_synergy', 'pupils_only_in_return', 'designation_mismatches',
                   'nc_year_mismatches'] %}
{% set names = {'expected_return': 'returns_expected', 'missing_return': 'returns_missing',
                'has_current_return': 'schools_with_current_return'} %}
rolled_up as (
    {%- for level, keys in rollup_levels() %}
    {{ 'union all' if not loop.first }}
    select
        {{ level_columns(level) }}
        {%- for m in measures %}
        cast(sum({{ m }}) as {{ dbt.type_int() }}) as {{ names.get(m, m) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from school_level
    group by academic_year{{ ', ' ~ keys if keys }}
    {%- endfor %}
)

select
    r.level,
    {{ level_key('r.') }} as level_key,
    r.academic_year,
    r.area,
    r.district,
    r.urn,
    r.school_name,
    cast(y.end_date + {{ var('return_deadline_days_after_year_end') }} as date) as return_deadline,
    {%- for m in measures %}
    r.{{ names.get(m, m) }}{{ ',' if not loop.last }}
    {%- endfor %}
from rolled_up as r
inner join {{ ref('silver_academic_years') }} as y on r.academic_year = y.academic_year
