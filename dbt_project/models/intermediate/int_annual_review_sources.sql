-- stg_synergy__annual_review union all stg_sen2__annual_review, the chosen source's rows only
-- (int_case_source_system), with source_system.
{{ case_source_rows('annual_review') }}
