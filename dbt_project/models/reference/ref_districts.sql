-- The configured council's districts and the area each belongs to, plus 'Out of county'.
select district, area, pathway_review_focus, lad_code, district_order
from {{ ref('stg_council__districts') }}
union all
select 'Out of county', 'Out of county', false, null, null
