-- Straight-line distance (km) from each SEN2 placed child's home postcode centroid to the
-- establishment, as stg_synergy__placement_distance; null ("unknown") when the postcode has no
-- live match in the postcode lookup or the school no grid reference. The home is the person's
-- latest (stg_sen2__person), as Synergy's current extract gives it. Home coordinates are read
-- here and never leave staging.
select
    pl.placement_key,
    {{ bng_distance_km('p.home_easting', 'p.home_northing', 'e.easting', 'e.northing') }} as distance_km
from {{ ref('stg_sen2__placement') }} as pl
inner join {{ ref('stg_sen2__named_plan') }} as pn on pl.plan_key = pn.plan_key
inner join {{ ref('stg_sen2__person') }} as p on pn.person_key = p.person_key
left join {{ ref('stg_gias__establishment') }} as e on pl.urn = e.urn
