-- EHC needs assessment requests of the SEN2 returns loaded, with the columns of
-- stg_synergy__request: one row per request key (stg_sen2__request_versions: person, received
-- date, order that day), the version of the latest return holding the request. SEN2 carries
-- no request source (null).
select
    request_id,
    request_key,
    person_key,
    received_date,
    cast(null as {{ dbt.type_string() }}) as request_source,
    is_relevant_young_adult,
    request_outcome,
    request_outcome_date
from {{ ref('stg_sen2__request_versions') }}
qualify {{ sen2_is_latest_version('request_key') }}
