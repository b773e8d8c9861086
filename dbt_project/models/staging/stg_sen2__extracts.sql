-- SEN2 returns loaded into bronze: one row per extract (landing folder date), with the
-- return's collection year, census reference date and LA. The latest is what staging reads
-- (macro sen2_latest) and what int_extracts_sources compares with Synergy's latest extract.
select
    _extract_date as extract_date,
    _collection_year as collection_year,
    {{ parse_sen2_date('referencedate') }} as reference_date,
    lea as la_code
from {{ source('bronze', 'sen2_header') }}
where _superseded_by_sha256 is null
