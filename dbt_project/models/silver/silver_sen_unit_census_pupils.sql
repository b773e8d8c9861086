-- Pupils in a SEN unit on census day: a placement flagged SEN unit on roll on the census day, at
-- a school the SRP register lists for that academic year, under an EHC plan active on census
-- day. Reported in their own columns, never as SRP pupils. One row per person x academic year x
-- school; designation resolved as for SRP pupils. (macros/census_day_provision.sql)
{{ census_day_provision_pupils('sen_unit') }}
