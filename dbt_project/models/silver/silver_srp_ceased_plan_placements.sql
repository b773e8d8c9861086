-- Data-quality finding: resourced-provision placements still open on census day at a school the
-- SRP register lists, whose EHC plan had ceased on or before census day. Not on roll and no
-- top-up; counted per SRP and year in gold.srp_places (warning check). One row per person x
-- academic year x SRP school (a person also on roll there under an active plan is not listed).
{{ census_day_provision_pupils('srp', plan_status='ceased') }}
