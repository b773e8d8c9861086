-- The current version of each academic year's SRP register file.
select
    srp_id,
    urn,
    upper(designation) as designation,
    phase,
    academic_year,
    cast(left(academic_year, 4) as integer) as academic_year_start,
    {{ to_int('commissioned_places') }} as commissioned_places,
    {{ parse_date('sla_start') }} as sla_start,
    {{ parse_date('sla_end') }} as sla_end,
    {{ to_number('place_funding_gbp') }} as place_funding_gbp,
    {{ to_number('top_up_gbp') }} as top_up_gbp
from {{ source('bronze', 'srp_register') }}
where _superseded_by_sha256 is null
