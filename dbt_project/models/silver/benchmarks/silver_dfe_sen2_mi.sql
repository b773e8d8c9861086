-- DfE's published EHC plan statistics, one row per calendar year x geography (England, region,
-- local authority), typed, for benchmarking the council (ref_council) against its region and England.
select
    calendar_year,
    time_identifier,
    geographic_level,
    case geographic_level
        when 'National' then country_name
        when 'Regional' then region_name
        else la_name
    end as geography_name,
    country_code,
    country_name,
    region_code,
    region_name,
    new_la_code,
    old_la_code,
    la_name,
    inreq_ehc, inreq_ehc_symbol,
    ass_refused_ehc, ass_refused_ehc_symbol,
    ass_refused_ehc_pc, ass_refused_ehc_pc_symbol,
    ass_none_ehc, ass_none_ehc_symbol,
    ass_none_ehc_pc, ass_none_ehc_pc_symbol,
    assessments, assessments_symbol,
    new_all_ehc, new_all_ehc_symbol,
    new_all_ehc_pc, new_all_ehc_pc_symbol,
    tot_inc_exc_ehc, tot_inc_exc_ehc_symbol,
    inc_exc_20week_ehc, inc_exc_20week_ehc_symbol,
    inc_exc_20week_rate, inc_exc_20week_rate_symbol,
    tot_no_exc_ehc, tot_no_exc_ehc_symbol,
    no_exc_20week_ehc, no_exc_20week_ehc_symbol,
    no_exc_20week_rate, no_exc_20week_rate_symbol,
    discontinued_total, discontinued_total_symbol,
    source_file
from {{ ref('stg_dfe__sen2_mi') }}
