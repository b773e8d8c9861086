-- Each establishment as the latest GIAS file describes it.
with ranked as (
    select
        *,
        row_number() over (partition by urn order by _file_date desc, _loaded_at desc) as recency
    from {{ source('bronze', 'gias_establishment') }}
)

select
    urn,
    la_code,
    la_name,
    establishment_name,
    type_of_establishment_name,
    establishment_type_group_name,
    establishment_status_name,
    phase_of_education_name,
    {{ to_int('statutory_low_age') }} as statutory_low_age,
    {{ to_int('statutory_high_age') }} as statutory_high_age,
    district_administrative_name,
    {{ to_number('easting') }} as easting,
    {{ to_number('northing') }} as northing,
    type_of_resourced_provision_name,
    {{ to_int('resourced_provision_capacity') }} as resourced_provision_capacity,
    {{ to_int('resourced_provision_on_roll') }} as resourced_provision_on_roll,
    {{ to_int('sen_unit_capacity') }} as sen_unit_capacity,
    {{ to_int('sen_unit_on_roll') }} as sen_unit_on_roll,
    _file_date
from ranked
where recency = 1
