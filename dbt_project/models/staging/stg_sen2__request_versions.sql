-- EHC needs assessment requests (module 2) of every SEN2 return loaded, one row per request
-- record of each return, typed, with the keys that hold across returns and formats: the
-- request's key is the pseudonym of its person's key, received date and order among the
-- person's requests received that day in that return; the request's plan (a named or active
-- plan hangs on its request) is the pseudonym of the request's key. SEN2 carries no request
-- source.
with request as (
    select
        *,
        {{ parse_sen2_date('receiveddate') }} as received_date
    from {{ sen2_current('requests') }}
),

numbered as (
    select
        *,
        row_number() over (
            partition by _extract_date, _person_position, received_date order by _position
        ) as same_day_order
    from request
),

keyed as (
    select
        r.*,
        p.person_key,
        {{ pseudonym('request', "'SEN2 ' || p.person_key || ' ' || coalesce(cast(r.received_date as varchar), '')
            || ' ' || cast(r.same_day_order as varchar)") }} as request_key
    from numbered as r
    inner join {{ ref('stg_sen2__person_versions') }} as p
        on r._extract_date = p._extract_date and r._person_position = p._position
)

select
    {{ sen2_record_id('_position') }} as request_id,
    request_key,
    {{ pseudonym('plan', 'request_key') }} as plan_key,
    person_key,
    received_date,
    coalesce({{ parse_flag('rya') }}, false) as is_relevant_young_adult,
    upper(requestoutcome) as request_outcome,
    {{ parse_sen2_date('requestoutcomedate') }} as request_outcome_date,
    _extract_date,
    _position
from keyed
