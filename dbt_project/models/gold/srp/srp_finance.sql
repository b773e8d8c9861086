-- SRP finance: what the council pays each SRP (school x designation) x academic year and, from
-- the school's current return, what the SRP reports it received and spent; rolled up to the
-- SCHOOL's district, area and county, with the county total against the SRP funding envelope.
-- The SRPs and their census-day pupils are gold.srp_places' school rows (one definition of
-- pupils on roll): every commissioned SRP, plus a row for each designation pupils are placed
-- under that the register does not list for the school ('unknown' included), which has no
-- places and no rates, so its pupils are on roll here but funded with nothing. Top-up is paid
-- for pupils on roll only (an open placement under a ceased EHC plan is not on roll).
{% set income = ['place_funding', 'top_up', 'other'] %}
{% set spend = ['teaching_staff', 'support_staff', 'therapies', 'resources', 'training', 'other'] %}
{% set return_items = [] %}
{% for item in income %}{% do return_items.append('return_income_' ~ item ~ '_gbp') %}{% endfor %}
{% for item in spend %}{% do return_items.append('return_spend_' ~ item ~ '_gbp') %}{% endfor %}
with years as (
    {{ census_years_covered() }}
),

register as (
    select r.*, sum(r.commissioned_places) over (partition by r.urn, r.academic_year)
        as school_commissioned_places
    from {{ ref('silver_srp') }} as r
    inner join years as y on r.academic_year = y.academic_year
),

srps as (
    select academic_year, area, district, urn, school_name, srp_id, designation, srp_count,
           commissioned_places, pupils_on_roll
    from {{ ref('srp_places') }}
    -- not a row that srp_places has only for SEN-unit pupils or data-quality findings
    where level = 'school' and (srp_count > 0 or pupils_on_roll > 0)
),

schools as (
    select academic_year, urn, max(school_commissioned_places) as school_commissioned_places,
           max(designations_at_school) as designations_at_school
    from register
    group by academic_year, urn
),

current_return as (
    select s.urn, s.academic_year, f.*
    from {{ ref('silver_return_submission') }} as s
    inner join {{ ref('silver_return_finance') }} as f on s.submission_id = f.submission_id
    where s.is_current
),

-- a return covers the whole school: each commissioned designation gets the share of the
-- school's commissioned places it holds (an equal share when the school has no commissioned
-- places); a designation the register does not list gets none
allocated as (
    select
        p.academic_year, p.area, p.district, p.urn, p.school_name,
        coalesce(r.srp_id, p.srp_id) as srp_id, p.designation, p.srp_count,
        p.commissioned_places,
        p.pupils_on_roll,
        r.place_funding_gbp,
        r.top_up_gbp,
        ret.urn is not null as has_current_return,
        case when ret.urn is null then null
            when p.srp_count = 0 then 0.0
            when s.school_commissioned_places > 0
                then 1.0 * p.commissioned_places / s.school_commissioned_places
            else 1.0 / s.designations_at_school end as return_allocation_share,
        {{ return_items | map('replace', 'return_', 'ret.', 1) | join(', ') }}
    from srps as p
    inner join schools as s on p.academic_year = s.academic_year and p.urn = s.urn
    left join register as r
        on p.academic_year = r.academic_year and p.urn = r.urn and p.designation = r.designation
    left join current_return as ret on p.urn = ret.urn and p.academic_year = ret.academic_year
),

-- amounts in whole pounds per SRP; roll-ups add these up
srp_level as (
    select
        academic_year, area, district, urn, school_name, srp_id, designation,
        srp_count, commissioned_places, pupils_on_roll, place_funding_gbp, top_up_gbp,
        round(coalesce(place_funding_gbp, 0) * commissioned_places, 0) as council_place_funding_gbp,
        round(coalesce(top_up_gbp, 0) * pupils_on_roll, 0) as council_top_up_gbp,
        case when has_current_return then 1 else 0 end as has_return,
        round(return_allocation_share, 4) as return_allocation_share
        {%- for item in return_items %},
        round({{ item | replace('return_', '', 1) }} * return_allocation_share, 0) as {{ item }}
        {%- endfor %}
    from allocated
),

rolled_up as (
    {%- for level, keys in rollup_levels('area, district, urn, school_name, srp_id') %}
    {{ 'union all' if not loop.first }}
    select
        {{ level_columns(level, ('urn', 'school_name', 'srp_id')) }}
        case when grouping(designation) = 1 then 'All' else designation end as designation,
        {{ 'max(place_funding_gbp)' if level == 'school' else 'null' }} as place_funding_rate_gbp,
        {{ 'max(top_up_gbp)' if level == 'school' else 'null' }} as top_up_rate_gbp,
        {{ 'max(return_allocation_share)' if level == 'school' else 'null' }} as return_allocation_share,
        cast(sum(srp_count) as {{ dbt.type_int() }}) as srp_count,
        cast(sum(has_return * srp_count) as {{ dbt.type_int() }}) as srps_with_return,
        cast(sum(commissioned_places) as {{ dbt.type_int() }}) as commissioned_places,
        cast(sum(pupils_on_roll) as {{ dbt.type_int() }}) as pupils_on_roll,
        cast(sum(council_place_funding_gbp) as {{ dbt.type_int() }}) as council_place_funding_gbp,
        cast(sum(council_top_up_gbp) as {{ dbt.type_int() }}) as council_top_up_gbp,
        cast(sum(council_place_funding_gbp + council_top_up_gbp) as {{ dbt.type_int() }}) as council_funding_gbp,
        cast(sum(case when has_return = 1 then commissioned_places end) as {{ dbt.type_int() }})
            as return_commissioned_places,
        cast(sum(case when has_return = 1 then pupils_on_roll end) as {{ dbt.type_int() }})
            as return_pupils_on_roll,
        {%- for item in return_items %}
        cast(sum({{ item }}) as {{ dbt.type_int() }}) as {{ item }},
        {%- endfor %}
        cast(sum({% for item in income %}return_income_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %})
            as {{ dbt.type_int() }}) as return_income_total_gbp,
        cast(sum({% for item in spend %}return_spend_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %})
            as {{ dbt.type_int() }}) as return_spend_total_gbp
    from srp_level
    group by grouping sets (
        (academic_year, {{ keys ~ ', ' if keys }}designation)
        {%- if level != 'school' %},
        (academic_year{{ ', ' ~ keys if keys }})
        {%- endif %}
    )
    {%- endfor %}
),

-- the envelope row in force: the latest from_academic_year on or before the year
envelope as (
    select y.academic_year, e.envelope_gbp
    from years as y
    inner join {{ ref('ref_srp_envelope') }} as e
        on e.from_academic_year = (
            select max(e2.from_academic_year) from {{ ref('ref_srp_envelope') }} as e2
            where e2.from_academic_year <= y.academic_year
        )
)

select
    r.level,
    {{ level_key('r.') }} as level_key,
    r.academic_year,
    r.area,
    r.district,
    r.urn,
    r.school_name,
    r.srp_id,
    r.designation,
    r.srp_count,
    r.commissioned_places,
    r.pupils_on_roll,
    -- the register's rates are DECIMAL(28,6): DOUBLE like the table's other money ratios
    cast(r.place_funding_rate_gbp as double) as place_funding_rate_gbp,
    cast(r.top_up_rate_gbp as double) as top_up_rate_gbp,
    r.council_place_funding_gbp,
    r.council_top_up_gbp,
    r.council_funding_gbp,
    {{ safe_ratio('r.council_funding_gbp', 'r.commissioned_places', 2) }} as council_funding_per_commissioned_place_gbp,
    r.srps_with_return,
    r.return_allocation_share,
    r.return_commissioned_places,
    r.return_pupils_on_roll,
    {%- for item in return_items %}
    r.{{ item }},
    {%- endfor %}
    r.return_income_total_gbp,
    r.return_spend_total_gbp,
    cast(r.return_income_total_gbp - r.return_spend_total_gbp as {{ dbt.type_int() }}) as return_surplus_gbp,
    {{ safe_ratio('r.return_spend_total_gbp', 'r.return_commissioned_places', 2) }} as return_cost_per_commissioned_place_gbp,
    {{ safe_ratio('r.return_spend_total_gbp', 'r.return_pupils_on_roll', 2) }} as return_cost_per_pupil_gbp,
    case when r.level = 'county' and r.designation = 'All' then e.envelope_gbp end as envelope_gbp,
    case when r.level = 'county' and r.designation = 'All'
        then {{ safe_ratio('r.council_funding_gbp', 'e.envelope_gbp') }} end as envelope_used_share,
    case when r.level = 'county' and r.designation = 'All'
        then cast(e.envelope_gbp - r.council_funding_gbp as {{ dbt.type_int() }}) end as envelope_remaining_gbp
from rolled_up as r
left join envelope as e on r.academic_year = e.academic_year
