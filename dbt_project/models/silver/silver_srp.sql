-- One row per SRP designation per academic year as commissioned (the SRP register), with the
-- school's district and area.
select
    r.srp_id,
    r.urn,
    e.establishment_name as school_name,
    r.designation,
    r.phase,
    r.academic_year,
    r.academic_year_start,
    r.commissioned_places,
    r.sla_start,
    r.sla_end,
    r.place_funding_gbp,
    r.top_up_gbp,
    coalesce(e.district, 'Unknown') as district,
    coalesce(e.area, 'Unknown') as area,
    count(*) over (partition by r.urn, r.academic_year) as designations_at_school
from {{ ref('stg_srp__register') }} as r
left join {{ ref('silver_establishment') }} as e on r.urn = e.urn
