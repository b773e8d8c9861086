"""The curated mutants of the dbt SQL that `make mutate` (tests/mutation/mutate.py) applies.

Each mutant is one small defect a real edit could introduce: a comparison moved across its
boundary (`>` / `>=`, `<` / `<=`), a join type changed (left -> inner, full outer -> left), or
the default of a count changed (`coalesce(x, 0)` -> `coalesce(x, 1)`). `original` must occur
exactly once in `file` (tests/test_mutation.py checks it on every test run), so an edit of the
SQL that moves or rewrites the text makes the list fail loudly instead of rotting silently.

Only mutants that the exactness tests kill today belong in MUTANTS. A mutant that survives is
a gap in the tests: it is listed in SURVIVORS with why it survives, until a test kills it.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutant(NamedTuple):
    file: str  # relative to dbt_project/
    original: str  # exact text, occurring once in the file
    replacement: str
    why: str  # the real defect it stands for


PARSING = "macros/parsing.sql"
SRP_GOLD = "macros/srp_gold.sql"
CENSUS_STATE = "models/silver/silver_census_state.sql"
PLACES = "models/gold/srp/srp_places.sql"
KPIS = "models/gold/srp/srp_kpis.sql"
FORECAST = "models/gold/srp/srp_demand_forecast.sql"
PATHWAYS = "models/gold/srp/phase_transfer_pathways.sql"
FINANCE = "models/gold/srp/srp_finance.sql"
RECONCILIATION = "models/gold/srp/srp_returns_reconciliation.sql"
TRAVEL = "models/gold/srp/srp_travel.sql"
TIMELINESS = "models/gold/ehcp/ehcp_timeliness.sql"
CASELOAD = "models/gold/ehcp/ehcp_caseload_profile.sql"
DEFINITIONS = "macros/definitions.sql"
PUPIL_RECONCILIATION = "models/silver/returns/silver_return_pupil_reconciliation.sql"

MUTANTS: tuple[Mutant, ...] = (
    # --- census-day boundaries (issue 17 item 3) ---
    Mutant(PARSING, "{{ leaving_date }} > {{ at_date }}))", "{{ leaving_date }} >= {{ at_date }}))",
           "a pupil who left on census day would still count on roll"),
    Mutant(CENSUS_STATE, "p.cease_date > y.census_date", "p.cease_date >= y.census_date",
           "a plan ceased on census day would still count as held"),
    Mutant(CENSUS_STATE, "on p.start_date <= y.census_date", "on p.start_date < y.census_date",
           "a plan starting on census day would not count as held"),
    Mutant(PARSING, "({{ entry_date }} <= {{ at_date }} and",
           "({{ entry_date }} < {{ at_date }} and",
           "a pupil joining on census day would not count on roll"),
    # --- srp_places, the headline table ---
    Mutant(PLACES, "full outer join census_pupils as c", "left join census_pupils as c",
           "pupils on roll in a designation with no commissioned places would vanish"),
    Mutant(PLACES, "coalesce(c.pupils_on_roll, 0) as pupils_on_roll",
           "coalesce(c.pupils_on_roll, 1) as pupils_on_roll",
           "an empty unit would report one pupil"),
    Mutant(PLACES, "coalesce(r.commissioned_places, 0) as commissioned_places",
           "coalesce(r.commissioned_places, 1) as commissioned_places",
           "a designation with no places would report one commissioned place"),
    Mutant(PLACES, "left join returned as ret", "inner join returned as ret",
           "schools without a return would drop out of the places table"),
    # --- srp_kpis ---
    Mutant(KPIS, "coalesce(rc.annual_reviews_due, 0) as annual_reviews_due",
           "coalesce(rc.annual_reviews_due, 1) as annual_reviews_due",
           "a unit with no reviews due would report one"),
    # --- srp_demand_forecast ---
    Mutant(FORECAST, "full outer join places as p", "left join places as p",
           "secondary places with no primary pupils would vanish from the forecast"),
    Mutant(FORECAST, "coalesce(c.primary_srp_pupils, 0) as primary_srp_pupils",
           "coalesce(c.primary_srp_pupils, 1) as primary_srp_pupils",
           "a district with no primary pupils would project demand"),
    # --- phase_transfer_pathways ---
    Mutant(PATHWAYS, "full outer join places as p", "left join places as p",
           "secondary places in a district with no year 6 pupils would vanish"),
    Mutant(PATHWAYS, "coalesce(c.year6_pupils, 0) as year6_pupils",
           "coalesce(c.year6_pupils, 1) as year6_pupils",
           "a district with no year 6 pupils would report one"),
    Mutant(PATHWAYS, "left join {{ ref('silver_census_state') }} as cs",
           "inner join {{ ref('silver_census_state') }} as cs",
           "a year 6 pupil with no next-year census row would drop out instead of 'left'"),
    # --- srp_returns_reconciliation ---
    Mutant(PUPIL_RECONCILIATION, "full outer join council as k", "left join council as k",
           "pupils only in the council's records would vanish from the reconciliation"),
    Mutant(RECONCILIATION, "coalesce(c.returns_received, 0) as returns_received",
           "coalesce(c.returns_received, 1) as returns_received",
           "a school that sent nothing would show one return received"),
    Mutant(RECONCILIATION, "left join submission_counts as c", "inner join submission_counts as c",
           "schools that sent no return would drop out of the reconciliation"),
    # --- shared SRP macros ---
    Mutant(SRP_GOLD, "when {{ kpi }} >= {{ alias }}.green_from then 'Green'",
           "when {{ kpi }} > {{ alias }}.green_from then 'Green'",
           "a KPI exactly on the green threshold would be rated amber"),
    Mutant(SRP_GOLD, "when {{ kpi }} <= {{ alias }}.green_from then 'Green'",
           "when {{ kpi }} < {{ alias }}.green_from then 'Green'",
           "a lower-is-better KPI exactly on the green threshold would be rated amber"),
    # --- EHCP timeliness and caseload ---
    Mutant(DEFINITIONS, "({{ event_date }} >= {{ twelve_months_before(census_date) }}",
           "({{ event_date }} > {{ twelve_months_before(census_date) }}",
           "a review exactly 12 months before census day would count as late"),
    Mutant(TIMELINESS, "case when days_to_plan_issued <= 140 then 1 else 0 end",
           "case when days_to_plan_issued < 140 then 1 else 0 end",
           "a plan issued on day 140 (20 weeks) would count as late"),
    Mutant(TIMELINESS, "full outer join dfe as d on s.calendar_year",
           "left join dfe as d on s.calendar_year",
           "years with only a DfE comparator would vanish"),
    Mutant(CASELOAD, "left join comparators as cmp", "inner join comparators as cmp",
           "categories without a national comparator would drop out of the caseload"),
)

# Mutants the exactness tests let through today (measured with `make mutate`): test gaps,
# kept out of MUTANTS until a scenario case kills them. (mutant, why it survives)
SURVIVORS: tuple[tuple[Mutant, str], ...] = (
    (Mutant(PARSING, "when {{ nc_year }} <= 6 then 'Primary'",
            "when {{ nc_year }} < 6 then 'Primary'",
            "year 6 pupils would be counted as secondary"),
     "no exactness test reads a pupil's phase (silver_census_state.phase, "
     'silver_srp_census_pupils.pupil_phase) for a year 6 pupil: gold SRP phases come from the '
     'register or the school'),
    (Mutant(PARSING, "when {{ nc_year }} <= 11 then 'Secondary'",
            "when {{ nc_year }} < 11 then 'Secondary'",
            "year 11 pupils would fall out of secondary"),
     "no exactness test reads a pupil's phase for a year 11 pupil (as for year 6)"),
    (Mutant(KPIS, "ar.review_meeting_date <= cs.census_date",
            "ar.review_meeting_date < cs.census_date",
            "a review held on census day would not count"),
     'the SRP scenario has no annual review dated on census day'),
    # (srp_kpis' own 12-month boundaries are gone: it uses the shared macros of
    # macros/definitions.sql, whose mutants stand for both tables)
    (Mutant(KPIS, "coalesce(pr.pupils_on_roll, 0) as pupils_on_roll",
            "coalesce(pr.pupils_on_roll, 1) as pupils_on_roll",
            "a unit with no pupils on roll would report one"),
     "every school in the SRP scenario's KPIs has pupils on roll (no empty unit)"),
    (Mutant(KPIS, "left join pupils_on_roll as pr", "inner join pupils_on_roll as pr",
            "an empty unit would drop out of the KPIs"),
     "every school in the SRP scenario's KPIs has pupils on roll (no empty unit)"),
    (Mutant(FORECAST, "when od.transfers >= {{ min_transfers }} then 'district'",
            "when od.transfers > {{ min_transfers }} then 'district'",
            "a district with exactly the minimum transfers would fall back to the county rate"),
     'no district in the SRP scenario has exactly srp_forecast_min_transfers (5) transfers'),
    (Mutant(FINANCE, "when s.school_commissioned_places > 0",
            "when s.school_commissioned_places >= 0",
            "a school with no places would divide by zero instead of null"),
     'no school in the SRP scenario has 0 commissioned places (a division by zero would give '
     'inf, not null)'),
    (Mutant(FINANCE, "where e2.from_academic_year <= y.academic_year",
            "where e2.from_academic_year < y.academic_year",
            "the funding envelope of the year it starts would not apply"),
     "seeds/ref_srp_envelope.csv has one row, from 2020/21; no scenario year is an envelope's "
     'first year'),
    (Mutant(RECONCILIATION, "coalesce(sc.synergy_pupils, 0) as synergy_pupils",
            "coalesce(sc.synergy_pupils, 1) as synergy_pupils",
            "a unit with no Synergy pupils would report one"),
     'every register unit in the SRP scenario has Synergy pupils'),
    (Mutant(TRAVEL, "full outer join register as r", "left join register as r",
            "commissioned units with no travelling pupils would vanish"),
     'every register unit in the SRP scenario has travelling pupils (none with only a register'
     ' row)'),
    (Mutant(DEFINITIONS, "({{ start_date }} < {{ twelve_months_before(census_date) }})",
            "({{ start_date }} <= {{ twelve_months_before(census_date) }})",
            "a plan exactly 12 months old would be due its review a year early"),
     'the EHCP scenario has no plan that started exactly on the review cutoff (12 months '
     'before census day)'),
    (Mutant(TIMELINESS, "r.review_meeting_date <= cp.census_date",
            "r.review_meeting_date < cp.census_date",
            "a review held on census day would not count"),
     'the EHCP scenario has no annual review dated on census day'),
)
