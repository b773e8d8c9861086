-- stg_synergy__request union all stg_sen2__request, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('request') }}
