-- stg_synergy__person union all stg_sen2__person, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('person') }}
