-- EHC needs assessment requests (module 2) of the latest SEN2 return, typed, with the columns
-- of stg_synergy__request. Key: the pseudonym of the person's key, the received date and its
-- order among the person's requests received that day, so it holds across formats and, for
-- persons known by UPN or ULN, across annual returns. SEN2 carries no request source (null).
with request as (
    select
        *,
        {{ parse_sen2_date('receiveddate') }} as received_date
    from {{ sen2_latest('requests') }}
),

numbered as (
    select
        *,
        row_number() over (
            partition by _person_position, received_date order by _position
        ) as same_day_order
    from request
)

select
    r._position as request_id,
    {{ pseudonym('request', "'SEN2 ' || p.person_key || ' ' || coalesce(cast(r.received_date as varchar), '')
        || ' ' || cast(r.same_day_order as varchar)") }} as request_key,
    p.person_key,
    r.received_date,
    cast(null as {{ dbt.type_string() }}) as request_source,
    coalesce({{ parse_flag('r.rya') }}, false) as is_relevant_young_adult,
    upper(r.requestoutcome) as request_outcome,
    {{ parse_sen2_date('r.requestoutcomedate') }} as request_outcome_date
from numbered as r
inner join {{ ref('stg_sen2__person') }} as p on r._person_position = p.person_id
