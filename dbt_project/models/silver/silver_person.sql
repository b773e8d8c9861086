-- One row per child or young person in the latest Synergy extract, pseudonymised.
select
    p.person_key,
    p.upn_key,
    p.sex,
    p.ethnicity,
    coalesce(eth.ethnicity_group, 'Unknown') as ethnicity_group,
    p.reception_year,
    coalesce(p.home_district, 'Unknown') as home_district,
    coalesce(d.area, 'Unknown') as home_area,
    p.has_home_coordinates,
    p._extract_date as extract_date
from {{ ref('int_person_sources') }} as p
left join {{ ref('ref_ethnicity') }} as eth on p.ethnicity = eth.ethnicity
left join {{ ref('ref_districts') }} as d on p.home_district = d.district
