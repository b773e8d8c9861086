-- Each school return's pupil list against the council's records: one row per return x pupil,
-- the one place the comparison is made (gold.srp_returns_reconciliation counts it for current
-- returns; the schools' feedback names each row's pupil to that school only).
-- The return's side: every Pupils row the school sent (rows rejected for an error too), the first
-- row listing each UPN. The council's side: silver_srp_pupils_in_year for the return's URN and
-- academic year. Matched by upn_key; a council pupil with no UPN cannot be matched and is keyed
-- by person_key (only in council records). Returns that could not be read, whose Details URN is
-- not a URN, or that are for another year than their folder's are not compared.
with compared as (
    select submission_id, source_file, academic_year, academic_year_start, urn, is_current
    from {{ ref('silver_return_submission') }}
    where status <> 'quarantined'
      and urn_source = 'details'
      and regexp_full_match(urn, '[0-9]{6}')
      and academic_year is not null
      and coalesce(
          try_cast(left(trim(stated_academic_year), 4) as integer) = academic_year_start, true)
),

listed as (
    select submission_id, row_number as sheet_row, upn_key, designation, nc_year
    from {{ ref('stg_returns__pupils') }}
    union all
    select submission_id, row_number as sheet_row, upn_key, designation, nc_year
    from {{ ref('stg_returns__rejected_pupils') }}
),

returned as (
    select c.submission_id, c.source_file, l.upn_key, l.sheet_row, l.designation, l.nc_year
    from compared as c
    inner join listed as l on c.submission_id = l.submission_id
    where l.upn_key is not null
    qualify row_number() over (
        partition by c.submission_id, c.source_file, l.upn_key order by l.sheet_row) = 1
),

council as (
    select c.submission_id, c.source_file, p.person_key, p.upn_key, p.designation, p.nc_year
    from compared as c
    inner join {{ ref('silver_srp_pupils_in_year') }} as p
        on c.academic_year = p.academic_year and c.urn = p.urn
),

matched as (
    select
        coalesce(r.submission_id, k.submission_id) as submission_id,
        coalesce(r.source_file, k.source_file) as source_file,
        coalesce(r.upn_key, k.upn_key, k.person_key) as pupil_key,
        coalesce(r.upn_key, k.upn_key) as upn_key,
        k.person_key,
        r.sheet_row as return_row,
        r.designation as return_designation,
        k.designation as council_designation,
        r.nc_year as return_nc_year,
        k.nc_year as council_nc_year,
        case when r.upn_key is not null then 1 else 0 end as in_return,
        case when k.person_key is not null then 1 else 0 end as in_council_records
    from returned as r
    full outer join council as k
        on r.submission_id = k.submission_id and r.source_file is not distinct from k.source_file
        and r.upn_key = k.upn_key
)

select
    m.submission_id,
    m.source_file,
    c.academic_year,
    c.urn,
    c.is_current,
    m.pupil_key,
    m.upn_key,
    m.person_key,
    m.return_row,
    m.in_return,
    m.in_council_records,
    m.return_designation,
    m.council_designation,
    m.return_nc_year,
    m.council_nc_year,
    case when m.in_return = 1 and m.in_council_records = 1
        and m.return_designation <> m.council_designation then 1 else 0 end
        as designation_mismatch,
    case when m.in_return = 1 and m.in_council_records = 1
        and m.return_nc_year <> m.council_nc_year then 1 else 0 end as nc_year_mismatch
from matched as m
inner join compared as c
    on m.submission_id = c.submission_id and m.source_file is not distinct from c.source_file
