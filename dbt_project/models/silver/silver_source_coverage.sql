-- What the case-management source silver reads (int_case_source_system) can answer: one row.
-- A Synergy extract holds the case history, so every census year from the start of its
-- history is known (no first census). SEN2 gives history from several annual returns
-- (docs/SEN2.md, "History from several returns"): census years from the first return's
-- census day on are known; with a single return, history before its census, phase transfer
-- (which pairs consecutive censuses) and the timeliness of calendar years before the return's
-- own are not (is_single_sen2_return: the report says so).
with returns as (
    select
        count(distinct extract_date) as returns_loaded,
        count(distinct collection_year) as collection_years,
        min(collection_year) as first_collection_year,
        max(collection_year) as last_collection_year,
        min(reference_date) as first_census_date,
        max(reference_date) as last_census_date
    from {{ ref('stg_sen2__extracts') }}
)

select
    s.source_system,
    case when s.source_system = 'sen2' then r.returns_loaded end as sen2_returns_loaded,
    case when s.source_system = 'sen2' then r.first_collection_year end as first_collection_year,
    case when s.source_system = 'sen2' then r.last_collection_year end as last_collection_year,
    case when s.source_system = 'sen2' then r.first_census_date end as first_census_date,
    case when s.source_system = 'sen2' then r.last_census_date end as last_census_date,
    case when s.source_system = 'sen2'
        then r.last_collection_year - r.first_collection_year + 1 - r.collection_years
    end as census_years_missing,
    s.source_system = 'sen2' and r.collection_years = 1 as is_single_sen2_return
from {{ ref('int_case_source_system') }} as s
cross join returns as r
