-- stg_synergy__placement union all stg_sen2__placement, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('placement') }}
