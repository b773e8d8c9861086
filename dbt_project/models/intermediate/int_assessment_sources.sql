-- stg_synergy__assessment union all stg_sen2__assessment, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('assessment') }}
