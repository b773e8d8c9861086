-- The extract dates of the case-management source silver reads (int_case_source_system):
-- stg_synergy__extracts or stg_sen2__extracts, with source_system. Its latest date is what the
-- warehouse knows up to (macro latest_synergy_extract).
{{ case_source_rows('extracts', columns=['extract_date']) }}
