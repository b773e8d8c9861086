-- One row per child or young person in the latest Synergy extract, pseudonymised.
select
    p.person_key,
    p.upn_key,
    p.sex,
    p.ethnicity,
    coalesce(eth.ethnicity_group, 'Unknown') as ethnicity_group,
    -- the September a child starts Reception (age 4 on 31 August): NC year = year - this
    extract(year from p.date_of_birth)
        + 4 + case when extract(month from p.date_of_birth) >= 9 then 1 else 0 end
        as reception_year,
    coalesce(p.home_district, 'Unknown') as home_district,
    coalesce(d.area, 'Unknown') as home_area,
    p.home_easting is not null and p.home_northing is not null as has_home_coordinates,
    p._extract_date as extract_date
from {{ ref('stg_synergy__person') }} as p
left join {{ ref('ref_ethnicity') }} as eth on p.ethnicity = eth.ethnicity
left join {{ ref('ref_districts') }} as d on p.home_district = d.district
