{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'srp_finance'}}}) }}
-- The share of the SRP funding envelope the council's funding uses moves by less than a
-- quarter from one academic year to the next (places and top-ups change by a few per cent a
-- year; the scale-1 sample moves by at most 1.4%). A bigger jump means the envelope seed
-- (ref_srp_envelope) is out of date or for another council, or places or pupils went missing
-- in one year. A warning: gold is still right, the data team is alerted. Relative to the
-- previous year, so it holds at any scale (the envelope is Kent's, samples are smaller).
with shares as (
    select
        academic_year,
        envelope_used_share,
        lag(envelope_used_share) over (order by academic_year) as previous_share
    from {{ ref('srp_finance') }}
    where level = 'county' and designation = 'All' and envelope_used_share is not null
)

select academic_year, envelope_used_share, previous_share
from shares
where previous_share > 0
  and abs(envelope_used_share / previous_share - 1) > 0.25
