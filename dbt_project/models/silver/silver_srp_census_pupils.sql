-- Definition: docs/DEFINITIONS.md, "SRP pupil".
-- Pupils in an SRP on census day: a resourced-provision placement (not flagged SEN unit) on roll
-- on the census day, at a school the SRP register lists for that academic year, under an EHC plan
-- active on census day. One row per person x academic year x SRP school. Designation = the
-- placement's srp_designation; if blank, the school's only designation that year; if blank and
-- the school has several, 'unknown'. (macros/census_day_provision.sql)
{{ census_day_provision_pupils('srp') }}
