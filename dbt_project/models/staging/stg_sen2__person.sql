-- Persons (module 1) of the latest SEN2 return, typed, with the columns of
-- stg_synergy__person. SEN2 has no case id: the key is the pseudonym of the UPN, else the ULN,
-- else the LA, collection year and record position (docs/SEN2.md). Home coordinates are the
-- postcode's centroid and the home district its local authority district through the
-- council's districts (ref_districts.lad_code): another district is 'Out of county', a
-- postcode the lookup does not hold 'Unknown' (no coordinates). Identifiers and the postcode
-- are read here and leave only as pseudonyms or derived fields (ephemeral).
with person as (
    select
        *,
        {{ parse_sen2_date('personbirthdate') }} as date_of_birth,
        {{ postcode_match_key('postcode') }} as postcode_key
    from {{ sen2_latest('person') }}
),

header as (
    select * from {{ ref('stg_sen2__extracts') }}
    where extract_date = ({{ latest_sen2_extract() }})
)

select
    p._position as person_id,
    {{ pseudonym('person', "coalesce('UPN ' || p.upn, 'ULN ' || p.uniquelearnernumber,
        'LA ' || h.la_code || ' ' || cast(h.collection_year as varchar) || ' '
        || cast(p._position as varchar))") }} as person_key,
    {{ pseudonym('upn', 'p.upn') }} as upn_key,
    p.date_of_birth,
    {{ reception_year('p.date_of_birth') }} as reception_year,
    c.easting is not null and c.northing is not null as has_home_coordinates,
    coalesce(upper(p.sex), case p.gendercurrent
        when '1' then 'M' when '2' then 'F' when '0' then 'U' when '9' then 'U' end) as sex,
    upper(p.ethnicity) as ethnicity,
    case
        when c.postcode_key is null then 'Unknown'
        when d.district is not null then d.district
        else 'Out of county'
    end as home_district,
    c.easting as home_easting,
    c.northing as home_northing,
    p._extract_date
from person as p
cross join header as h
left join {{ ref('stg_postcodes__centroid') }} as c on p.postcode_key = c.postcode_key
left join {{ ref('ref_districts') }} as d on c.lad_code = d.lad_code
