-- stg_synergy__named_plan union all stg_sen2__named_plan, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('named_plan') }}
