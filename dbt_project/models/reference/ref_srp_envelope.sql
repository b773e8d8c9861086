-- The configured council's annual SRP funding envelope (whole pounds), from an academic year.
select from_academic_year, cast(round(envelope_gbp) as integer) as envelope_gbp, source
from {{ ref('stg_council__funding_envelope') }}
