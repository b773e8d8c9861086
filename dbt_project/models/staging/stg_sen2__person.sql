-- Persons of the SEN2 returns loaded, with the columns of stg_synergy__person: one row per
-- person key (stg_sen2__person_versions: UPN, else ULN, else names and date of birth), the
-- version of the latest return holding the person. Home coordinates are the postcode's
-- centroid and the home district its local authority district through the council's
-- districts (ref_districts.lad_code): another district is 'Out of county', a postcode the
-- lookup does not hold 'Unknown' (no coordinates).
select
    person_id, person_key, upn_key, date_of_birth, reception_year, has_home_coordinates, sex,
    ethnicity, home_district, home_easting, home_northing, _extract_date
from {{ ref('stg_sen2__person_versions') }}
qualify {{ sen2_is_latest_version('person_key') }}
