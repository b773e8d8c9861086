-- Live postcodes of the newest postcode lookup file (ONS NSPL): each postcode's centroid
-- (British National Grid metres) and its local authority district. A terminated postcode
-- (doterm filled) is left out, so it matches nothing (distance unknown).
with latest as (
    select *
    from {{ source('bronze', 'postcodes') }}
    where _superseded_by_sha256 is null
      and _file_date = (
          select max(_file_date) from {{ source('bronze', 'postcodes') }}
          where _superseded_by_sha256 is null
      )
),

live as (
    select
        *,
        row_number() over (partition by postcode_key order by _row_number) as occurrence
    from latest
    where doterm is null
)

select
    postcode_key,
    {{ to_number('oseast1m') }} as easting,
    {{ to_number('osnrth1m') }} as northing,
    laua as lad_code,
    _file_date as file_date
from live
where occurrence = 1
