-- Shares the configured council has published itself (its EQIA and the like), one row per
-- population x dimension x category; none for a council that has not configured any.
select population, dimension, category, share_pct, period, published, source
from {{ ref('stg_council__published_comparators') }}
