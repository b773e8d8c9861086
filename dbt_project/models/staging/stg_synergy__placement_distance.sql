-- Straight-line distance (km) from each placed child's home to the establishment; null when
-- either end has no coordinates. Home coordinates are read here and never leave staging.
select
    pl.placement_key,
    {{ bng_distance_km('p.home_easting', 'p.home_northing', 'e.easting', 'e.northing') }} as distance_km
from {{ ref('stg_synergy__placement') }} as pl
inner join {{ ref('stg_synergy__named_plan') }} as pn on pl.plan_id = pn.plan_id
inner join {{ ref('stg_synergy__person') }} as p on pn.person_id = p.person_id
left join {{ ref('stg_gias__establishment') }} as e on pl.urn = e.urn
