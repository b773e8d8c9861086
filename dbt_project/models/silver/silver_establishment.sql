-- One row per establishment in the latest GIAS register, with district, area and the
-- placement category its type maps to.
select
    e.urn,
    e.establishment_name,
    e.la_code,
    e.la_name,
    e.la_code = c.la_code as in_council,
    e.type_of_establishment_name as establishment_type,
    e.establishment_type_group_name as establishment_type_group,
    e.establishment_status_name as establishment_status,
    e.phase_of_education_name as phase_of_education,
    e.statutory_low_age,
    e.statutory_high_age,
    case when e.la_code = c.la_code then e.district_administrative_name else 'Out of county' end as district,
    case when e.la_code = c.la_code then coalesce(d.area, 'Unknown') else 'Out of county' end as area,
    e.easting,
    e.northing,
    coalesce(t.placement_category, 'Other arrangement') as placement_category,
    coalesce(t.state_funded, false) as state_funded,
    e.type_of_resourced_provision_name as resourced_provision_type,
    e.resourced_provision_capacity,
    e.resourced_provision_on_roll,
    e.sen_unit_capacity,
    e.sen_unit_on_roll,
    e._file_date as register_date
from {{ ref('stg_gias__establishment') }} as e
cross join {{ ref('ref_council') }} as c
left join {{ ref('ref_districts') }} as d on e.district_administrative_name = d.district
left join {{ ref('ref_establishment_types') }} as t on e.type_of_establishment_name = t.type_of_establishment
