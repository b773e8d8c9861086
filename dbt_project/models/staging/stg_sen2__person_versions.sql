-- Persons (module 1) of every SEN2 return loaded, one row per person record of each return,
-- typed, with the key that holds across returns (docs/SEN2.md, "History from several
-- returns"): the pseudonym of the UPN, else the ULN; a person with neither takes the UPN or
-- ULN a record of another return gives the same surname, forename and date of birth (a child
-- given a UPN when starting school) when exactly one such identifier exists, else the LA,
-- surname, forename, date of birth and order among that return's records sharing them.
-- Identifiers, names and the postcode are read here and leave only as pseudonyms or derived
-- fields (ephemeral).
with person as (
    select
        p.*,
        h.la_code,
        {{ parse_sen2_date('p.personbirthdate') }} as date_of_birth,
        {{ postcode_match_key('p.postcode') }} as postcode_key,
        coalesce('UPN ' || p.upn, 'ULN ' || p.uniquelearnernumber) as identifier,
        upper(trim(coalesce(p.surname, ''))) || ' ' || upper(trim(coalesce(p.forename, ''))) || ' '
            || coalesce(cast({{ parse_sen2_date('p.personbirthdate') }} as varchar), '') as name_and_birth
    from {{ sen2_current('person') }} as p
    inner join {{ ref('stg_sen2__extracts') }} as h on p._extract_date = h.extract_date
),

identified_elsewhere as (
    select name_and_birth, min(identifier) as identifier
    from person
    where identifier is not null
    group by name_and_birth
    having count(distinct identifier) = 1
),

keyed as (
    select
        p.*,
        coalesce(
            p.identifier,
            i.identifier,
            'LA ' || p.la_code || ' ' || p.name_and_birth || ' ' || cast(row_number() over (
                partition by p._extract_date, p.identifier is null, p.name_and_birth
                order by p._position) as varchar)
        ) as identity
    from person as p
    left join identified_elsewhere as i on p.identifier is null and p.name_and_birth = i.name_and_birth
)

select
    {{ sen2_record_id('p._position') }} as person_id,
    {{ pseudonym('person', 'p.identity') }} as person_key,
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
    p._extract_date,
    p._position
from keyed as p
left join {{ ref('stg_postcodes__centroid') }} as c on p.postcode_key = c.postcode_key
left join {{ ref('ref_districts') }} as d on c.lad_code = d.lad_code
