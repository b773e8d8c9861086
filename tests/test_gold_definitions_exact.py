"""The shared definitions that hidden checks found broken (issue 14 items 1-5), figure by figure
on a small hand-built scenario, worked out from the definitions (not from the code).

Schools, SRP register and extract are tests/scenarios/srp_scenario.py's (P1 = Ashford Primary,
ASD, 8 places, top-up £6,000; P2 = Maidstone Primary, ASD, 6 places; S1 = Ashford High, ASD 10
and SLCN 5; the extract of 1 October 2025 covers census days 18 January 2024 (2023/24) and
16 January 2025 (2024/25)). The children (Synergy; coordinates in km, distances whole km):

| child | home (E, N)         | plan                       | placement                              | reviews               |
| 41    | Ashford (600, 143)  | 2019-05-01, CEASED 2024-12-31 | P1 ASD SRP from 2022-09-01, open    | -                     |
| 42    | Dover (612, 145)    | 2019-05-01                 | P1 ASD SRP from 2022-09-01             | -                     |
| 43    | Maidstone (575,158) | 2019-05-01                 | P2 SEN UNIT (not SRP), from 2022-09-01 | -                     |
| 45    | Ashford (600, 154)  | 2018-01-10                 | S1 ASD SRP from 2022-09-01             | 2024-01-15 (day before the boundary) |
| 46    | Ashford (603, 154)  | 2018-01-10                 | S1 ASD SRP from 2022-09-01             | 2024-01-16 (exactly 12 months before) |
| 47    | Ashford (606, 158)  | 2018-01-10                 | S1 ASD SRP from 2022-09-01             | 2024-01-17 (day after the boundary)   |

Distances: 41 -> P1 3 km, 42 -> P1 13, 45 -> S1 4, 46 -> S1 5, 47 -> S1 10.

Item 1 (travel by HOME district): Dover has no SRP, yet its child 42 travels 13 km to P1 in
Ashford: a Dover row. Item 2 (SEN units): 43 is P2's SEN-unit pupil, never an SRP pupil.
Item 3 (ceased plan): 41 is on roll at P1 in 2023/24; in 2024/25 the plan has ceased, so 41 is
not on roll, earns no top-up and is one data-quality finding for P1 ASD 2024/25 (the warning
check fails on that one row). Item 4 (within 12 months, inclusive): on 16 January 2025 the
reviews of 46 (exactly 12 months before) and 47 are within, 45's is not; both tables agree.
Item 5 (returns_superseded): 2024/25 returns

| school | return | completed  | status  | is                                                  |
| P1     | v1     | 2025-09-01 | invalid | replaced by v2, not accepted: NOT superseded        |
| P1     | v2     | 2025-09-10 | valid   | current                                             |
| P2     | v1     | 2025-09-05 | valid   | superseded by v2 (a valid return replaced)          |
| P2     | v2     | 2025-09-12 | valid   | current                                             |
| S1     | v1     | 2025-09-08 | invalid | nothing replaces it                                 |

Fails on the code before the fix: travel rolled up by the school's district (no Dover row),
no SEN-unit or ceased-plan columns, 41 on roll at P1 in 2024/25 with £12,000 top-up, the KPI
boundary exclusive (46 late: 1 of 3 on time), and P1's invalid v1 counted as superseded.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.scenarios import srp_scenario
from tests.test_gold_srp_exact import assert_table, table

Y23, Y24 = "2023/24", "2024/25"
P1, P2, S1 = srp_scenario.P1, srp_scenario.P2, srp_scenario.S1
MODELS = ("srp_places", "srp_travel", "srp_finance", "srp_kpis", "srp_returns_reconciliation",
          "ehcp_timeliness")
_ = None

# person_id, NC year in 2023/24, home district, easting, northing
CHILDREN = [
    (41, 4, "Ashford", 600000, 143000),
    (42, 4, "Dover", 612000, 145000),
    (43, 4, "Maidstone", 575000, 158000),
    (45, 8, "Ashford", 600000, 154000),
    (46, 8, "Ashford", 603000, 154000),
    (47, 8, "Ashford", 606000, 158000),
]
PLANS = [
    (410, 41, "2019-05-01", "2024-12-31", "2"),
    (420, 42, "2019-05-01", None, None),
    (430, 43, "2019-05-01", None, None),
    (450, 45, "2018-01-10", None, None),
    (460, 46, "2018-01-10", None, None),
    (470, 47, "2018-01-10", None, None),
]
# placement_id, plan_id, urn, entry, resourced provision, srp designation, SEN unit
PLACEMENTS = [
    (4101, 410, P1, "2022-09-01", "Y", "ASD", "N"),
    (4201, 420, P1, "2022-09-01", "Y", "ASD", "N"),
    (4301, 430, P2, "2022-09-01", "N", None, "Y"),
    (4501, 450, S1, "2022-09-01", "Y", "ASD", "N"),
    (4601, 460, S1, "2022-09-01", "Y", "ASD", "N"),
    (4701, 470, S1, "2022-09-01", "Y", "ASD", "N"),
]
REVIEWS = {450: "2024-01-15", 460: "2024-01-16", 470: "2024-01-17"}
# submission id, urn, date completed, status, errors
SUBMISSIONS = [
    ("p1-v1", P1, "2025-09-01", "invalid", 2),
    ("p1-v2", P1, "2025-09-10", "valid", 0),
    ("p2-v1", P2, "2025-09-05", "valid", 0),
    ("p2-v2", P2, "2025-09-12", "valid", 0),
    ("s1-v1", S1, "2025-09-08", "invalid", 1),
]


def write_definitions_scenario(con: duckdb.DuckDBPyConnection) -> None:
    srp_scenario.write_schools(con)
    srp_scenario.write_children(con, CHILDREN, PLANS, placements=[])
    srp_scenario._insert(
        con, "synergy_placement",
        ["placement_id", "plan_id", "urn", "entry_date", "resourced_provision_indicator",
         "srp_designation", "sen_unit_indicator", "placement_rank"],
        [p + (1,) for p in PLACEMENTS], synergy=True)
    srp_scenario._insert(con, "synergy_annual_review",
                         ["review_id", "plan_id", "review_meeting_date"],
                         [(plan * 10, plan, day) for plan, day in REVIEWS.items()], synergy=True)
    srp_scenario._insert(
        con, "return_submissions",
        ["_sha256", "urn", "_academic_year", "academic_year", "date_completed", "status",
         "error_count", "warning_count", "received_at"],
        [(s, urn, Y24, Y24, done, status, errors, 0, f"{done} 09:00:00")
         for s, urn, done, status, errors in SUBMISSIONS])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("definitions_exact"),
                                  write_definitions_scenario, MODELS)


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------
# Items 2 and 3: srp_places (school rows per SRP; district = the school's)
# ---------------------------------------------------------------------------------------
PLACES_MEASURES = ("pupils_on_roll", "sen_unit_pupils_on_roll", "ceased_plan_placements")
EXPECTED_PLACES = {
    # 2023/24: 41 and 42 at P1 (41's plan still active), 43 in P2's SEN unit, 45-47 at S1
    ("school", P1, Y23, "Primary", "ASD"): (2, 0, 0),
    ("school", P2, Y23, "Primary", "ASD"): (0, 1, 0),
    ("school", S1, Y23, "Secondary", "ASD"): (3, 0, 0),
    ("school", S1, Y23, "Secondary", "SLCN"): (0, 0, 0),
    ("district", "Ashford", Y23, "All", "All"): (5, 0, 0),
    ("district", "Maidstone", Y23, "All", "All"): (0, 1, 0),
    ("county", "Kent", Y23, "Primary", "All"): (2, 1, 0),
    ("county", "Kent", Y23, "All", "All"): (5, 1, 0),
    # 2024/25: 41's plan ceased on 31 December 2024: not on roll, one finding at P1
    ("school", P1, Y24, "Primary", "ASD"): (1, 0, 1),
    ("school", P2, Y24, "Primary", "ASD"): (0, 1, 0),
    ("school", S1, Y24, "Secondary", "ASD"): (3, 0, 0),
    ("school", S1, Y24, "Secondary", "SLCN"): (0, 0, 0),
    ("district", "Ashford", Y24, "All", "All"): (4, 0, 1),
    ("district", "Maidstone", Y24, "All", "All"): (0, 1, 0),
    ("county", "Kent", Y24, "Primary", "All"): (1, 1, 1),
    ("county", "Kent", Y24, "All", "All"): (4, 1, 1),
}


def test_sen_unit_pupils_have_their_own_column_and_ceased_plans_are_not_on_roll(warehouse):
    found = table(warehouse, "srp_places",
                  ("level", "level_key", "academic_year", "phase", "designation"),
                  PLACES_MEASURES)
    assert_table({k: found[k] for k in EXPECTED_PLACES if k in found}, EXPECTED_PLACES,
                 PLACES_MEASURES)
    # the SEN-unit pupil adds no SRP row of its own (P2 has one designation)
    assert {k[:2] for k in found if k[0] == "school"} == {("school", P1), ("school", P2),
                                                          ("school", S1)}


def test_the_ceased_plan_finding_is_a_warning_check_on_the_one_srp(warehouse):
    results = json.loads((warehouse.parent / "target" / "run_results.json").read_text())
    checks = {r["unique_id"].split(".")[2]: r for r in results["results"]
              if r["unique_id"].startswith("test.")}
    check = checks["srp_places_no_open_placement_under_a_ceased_plan"]
    assert (check["status"], check["failures"]) == ("warn", 1)


def test_no_top_up_for_a_placement_under_a_ceased_plan(warehouse):
    found = table(warehouse, "srp_finance", ("level", "level_key", "academic_year", "designation"),
                  ("pupils_on_roll", "council_top_up_gbp", "council_funding_gbp"))
    # P1: £10,000 x 8 places + £6,000 x pupils on roll (2 in 2023/24, 1 in 2024/25)
    assert found[("school", P1, Y23, "ASD")] == (2, 12000, 92000)
    assert found[("school", P1, Y24, "ASD")] == (1, 6000, 86000)
    # P2's SEN-unit pupil earns no SRP top-up; no SRP row is added for it
    assert found[("school", P2, Y24, "ASD")] == (0, 0, 60000)
    assert ("school", P2, Y24, "unknown") not in found


# ---------------------------------------------------------------------------------------
# Item 1: srp_travel roll-ups by home district (school rows per SRP)
# ---------------------------------------------------------------------------------------
TRAVEL_MEASURES = ("pupils_on_roll", "pupils_with_known_distance", "mean_distance_km",
                   "median_distance_km", "p90_distance_km", "pupils_from_other_district",
                   "from_other_district_share", "pupils_distance_unknown")
S1_ASD = (3, 3, 6.33, 5.0, 9.0, 0, 0.0, 0)  # 45, 46, 47: [4, 5, 10]
DOVER = (1, 1, 13.0, 13.0, 13.0, 1, 1.0, 0)  # 42 at P1 in Ashford
T23_P1 = (2, 2, 8.0, 8.0, 12.0, 1, 0.5, 0)  # 41 (3), 42 (13)
T23_HOME_ASHFORD = (4, 4, 5.5, 4.5, 8.5, 0, 0.0, 0)  # 41, 45-47: [3, 4, 5, 10]
T23_KENT = (5, 5, 7.0, 5.0, 11.8, 1, 0.2, 0)  # [3, 4, 5, 10, 13]
T24_KENT = (4, 4, 8.0, 7.5, 12.1, 1, 0.25, 0)  # [4, 5, 10, 13]
EXPECTED_TRAVEL = {
    ("school", P1, Y23, "ASD"): T23_P1,
    ("school", P2, Y23, "ASD"): (0, 0, _, _, _, 0, _, 0),
    ("school", S1, Y23, "ASD"): S1_ASD,
    ("school", S1, Y23, "SLCN"): (0, 0, _, _, _, 0, _, 0),
    ("district", "Ashford", Y23, "ASD"): T23_HOME_ASHFORD,
    ("district", "Ashford", Y23, "All"): T23_HOME_ASHFORD,
    ("district", "Dover", Y23, "ASD"): DOVER,
    ("district", "Dover", Y23, "All"): DOVER,
    ("area", "South Kent", Y23, "ASD"): T23_KENT,
    ("area", "South Kent", Y23, "All"): T23_KENT,
    ("county", "Kent", Y23, "ASD"): T23_KENT,
    ("county", "Kent", Y23, "All"): T23_KENT,
    ("school", P1, Y24, "ASD"): DOVER,
    ("school", P2, Y24, "ASD"): (0, 0, _, _, _, 0, _, 0),
    ("school", S1, Y24, "ASD"): S1_ASD,
    ("school", S1, Y24, "SLCN"): (0, 0, _, _, _, 0, _, 0),
    ("district", "Ashford", Y24, "ASD"): S1_ASD,
    ("district", "Ashford", Y24, "All"): S1_ASD,
    ("district", "Dover", Y24, "ASD"): DOVER,
    ("district", "Dover", Y24, "All"): DOVER,
    ("area", "South Kent", Y24, "ASD"): T24_KENT,
    ("area", "South Kent", Y24, "All"): T24_KENT,
    ("county", "Kent", Y24, "ASD"): T24_KENT,
    ("county", "Kent", Y24, "All"): T24_KENT,
    # P2 (Maidstone, West Kent) and S1 SLCN have nobody on roll: the SRPs' own district and
    # area ('All') and the county keep a row with 0 pupils (tests/test_gold_year_without_pupils.py)
    **{(level, key, year, designation): (0, 0, _, _, _, 0, _, 0)
       for year in (Y23, Y24)
       for level, key, designation in (("district", "Maidstone", "All"),
                                       ("area", "West Kent", "All"), ("county", "Kent", "SLCN"))},
}


def test_travel_rolls_up_by_the_pupils_home_district(warehouse):
    found = table(warehouse, "srp_travel", ("level", "level_key", "academic_year", "designation"),
                  TRAVEL_MEASURES)
    assert_table(found, EXPECTED_TRAVEL, TRAVEL_MEASURES)
    geography = table(warehouse, "srp_travel",
                      ("level", "level_key", "academic_year", "designation"), ("area", "district"))
    assert geography[("district", "Dover", Y24, "All")] == ("South Kent", "Dover")
    assert geography[("school", P1, Y24, "ASD")] == ("South Kent", "Ashford")


# ---------------------------------------------------------------------------------------
# Item 4: annual reviews within the 12 months before census day (inclusive), both tables
# ---------------------------------------------------------------------------------------
def test_review_exactly_12_months_before_census_day_is_on_time_in_srp_kpis(warehouse):
    found = table(warehouse, "srp_kpis", ("level", "level_key", "academic_year"),
                  ("annual_reviews_due", "annual_reviews_on_time", "annual_reviews_on_time_pct"))
    # 2024/25 (16 January 2025): 45 (15 Jan 2024) late; 46 (16 Jan 2024) and 47 on time.
    # P1's 42 is due with no review; 41 holds no active plan
    assert found[("school", S1, Y24)] == (3, 2, 66.7)
    assert found[("school", P1, Y24)] == (1, 0, 0.0)
    assert found[("county", "Kent", Y24)] == (4, 2, 50.0)
    # 2023/24 (18 January 2024): every review of 45-47 is within; 41 and 42 have none
    assert found[("school", S1, Y23)] == (3, 3, 100.0)
    assert found[("county", "Kent", Y23)] == (5, 3, 60.0)


def test_review_exactly_12_months_before_census_day_is_on_time_in_ehcp_timeliness(warehouse):
    rows = query(warehouse, """
        select calendar_year, cast(review_census_date as varchar), plans_due_annual_review,
               reviewed_within_12_months, reviewed_within_12_months_pct
        from gold.ehcp_timeliness
        where level = 'county' and calendar_year in (2024, 2025) order by calendar_year""")
    # holders on census day: 2024: 41, 42, 43, 45-47; 2025: 42, 43, 45-47 (41's plan ceased)
    assert rows == [(2024, "2024-01-18", 6, 3, 50.0), (2025, "2025-01-16", 5, 2, 40.0)]


# ---------------------------------------------------------------------------------------
# Item 5: returns_superseded counts valid returns replaced by a later one, nothing else
# ---------------------------------------------------------------------------------------
def test_superseded_counts_valid_returns_replaced_and_keeps_invalid_ones_apart(warehouse):
    flags = {row[0]: row[1:] for row in query(warehouse, """
        select submission_id, is_current, is_superseded, is_replaced_not_accepted
        from silver.silver_return_submission""")}
    assert flags == {
        "p1-v1": (False, False, True),
        "p1-v2": (True, False, False),
        "p2-v1": (False, True, False),
        "p2-v2": (True, False, False),
        "s1-v1": (False, False, False),
    }
    found = table(warehouse, "srp_returns_reconciliation", ("level", "level_key", "academic_year"),
                  ("returns_received", "returns_valid", "returns_superseded"))
    assert found[("school", P1, Y24)] == (2, 1, 0)
    assert found[("school", P2, Y24)] == (2, 2, 1)
    assert found[("school", S1, Y24)] == (1, 0, 0)
    assert found[("county", "Kent", Y24)] == (5, 3, 1)
