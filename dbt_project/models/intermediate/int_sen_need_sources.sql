-- stg_synergy__sen_need union all stg_sen2__sen_need, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('sen_need') }}
