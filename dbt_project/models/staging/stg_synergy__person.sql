-- Current Synergy persons, typed. Identifiers are read here and leave only as pseudonyms or
-- derived fields (ephemeral: never materialised).
select
    {{ to_int('person_id') }} as person_id,
    {{ pseudonym('person', 'person_id') }} as person_key,
    {{ pseudonym('upn', 'upn') }} as upn_key,
    {{ parse_date('date_of_birth') }} as date_of_birth,
    -- the September a child starts Reception (age 4 on 31 August): NC year = year - this
    {{ reception_year(parse_date('date_of_birth')) }} as reception_year,
    home_easting is not null and home_northing is not null as has_home_coordinates,
    upper(sex) as sex,
    upper(ethnicity) as ethnicity,
    home_district,
    {{ to_number('home_easting') }} as home_easting,
    {{ to_number('home_northing') }} as home_northing,
    _extract_date
from {{ source('bronze', 'synergy_person') }}
where _valid_to is null
