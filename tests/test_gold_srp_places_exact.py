"""gold.srp_places, the headline table, every measure of every row, on a hand-made scenario.

The scenario is tests/scenarios/srp_scenario.py (read its table first) plus four children, one
more SRP and the places tables of the schools' returns, all listed below. The figures are
worked out by hand from the definitions (docs/DEFINITIONS.md; the model's description):
pupils on roll = resourced-provision placements on roll on census day (18 January 2024,
16 January 2025) at a school the register lists that year; occupancy % = on roll /
commissioned x 100 to one decimal (null when nothing is commissioned); vacancies and
over-subscription are max(commissioned - on roll, 0) and max(on roll - commissioned, 0) per
SRP, summed up the levels; pupils returned = the current (latest valid) return's places rows.

Added to the base scenario
| what                    | detail                                                              |
| SRP-M1                  | 400001 Maidstone Academy (Maidstone, West Kent), SEMH, Secondary, 2 |
| child 13 (NC 8, 23/24)  | M1 SEMH from 2023-09-01                                             |
| child 14 (NC 9)         | M1 SEMH from 2023-09-01                                             |
| child 15 (NC 7)         | M1 SEMH from 2024-09-01 (M1 over-subscribed by 1 in 2024/25)        |
| child 16 (NC 8)         | S1, designation BLANK, from 2024-09-01: S1 has ASD and SLCN, so     |
|                         | 'unknown' (0 places; phase = the school's: Secondary)               |
Child 4's placement at 400001 from 2024-09-02 is not resourced provision: not an M1 pupil.

Returns' places rows (designation: with EHC plan, without)
| p1-2023-v1 | superseded by v2: ignored | ASD 99, 9 |
| p1-2023-v2 | current                   | ASD 7, 1  |
| p2-2023    | current (late but valid)  | ASD 2, 0  |
| s1-2023    | invalid: ignored          | ASD 5, 5  |
| p1-2024    | current                   | ASD 3, 1  |
| s1-2024    | current                   | ASD 2, 0; SLCN 3, 0 |
P2 2024/25 and M1 have no return: returned figures null (a sum over nulls only is null).

Per SRP (places, on roll: children; returned; occupancy; vacancies; over-subscription)
2023/24: P1 ASD 8, 7 (1 2 3 6 9 11 12; 12 blank -> P1's only designation); 7, 1; 87.5; 1; 0
         P2 ASD 6, 2 (4 5); 2, 0; 33.3; 4; 0
         S1 ASD 10, 1 (7); -, -; 10.0; 9; 0     S1 SLCN 5, 1 (8); -, -; 20.0; 4; 0
         M1 SEMH 2, 2 (13 14); -, -; 100.0; 0; 0
2024/25: P1 ASD 8, 3 (9 11 12); 3, 1; 37.5; 5; 0
         P2 ASD 6, 1 (10); -, -; 16.7; 5; 0
         S1 ASD 10, 2 (1 7); 2, 0; 20.0; 8; 0   S1 SLCN 5, 2 (3 8); 3, 0; 40.0; 3; 0
         S1 unknown 0, 1 (16); -, -; null; 0; 1 (srp_count 0: not commissioned)
         M1 SEMH 2, 3 (13 14 15); -, -; 150.0; 0; 1
Roll-ups (district = the school's; each area holds one district with SRPs: South Kent =
Ashford (P1, S1), West Kent = Maidstone (P2, M1); Dover has no SRP and no row):
2023/24 Ashford: Secondary-All = S1 ASD + SLCN: 2, 15, 2, -, -, 2/15 = 13.3%, 9 + 4 = 13, 0;
  All-ASD = P1 + S1 ASD: 2, 18, 8, 7, 1, 8/18 = 44.4%, 1 + 9 = 10, 0;
  All-All: 3, 23, 9, 7, 1, 9/23 = 39.1%, 14, 0.
2023/24 Maidstone All-All = P2 + M1: 2, 8, 4, 2, 0, 50.0%, 4, 0.
2023/24 Kent: Primary-ASD = P1 + P2: 2, 14, 9, 9, 1, 64.3%, 5, 0; Secondary-All = S1 ASD +
  SLCN + M1: 3, 17, 4, -, -, 23.5%, 13, 0; All-ASD: 3, 24, 10, 9, 1, 41.7%, 14, 0;
  All-All = 7 + 2 + 1 + 1 + 2 pupils: 5, 31, 13, 9, 1, 41.9%, 18, 0.
2024/25 Ashford: Secondary-All = S1 ASD + SLCN + unknown: 2, 15, 5, 5, 0, 33.3%, 8 + 3 = 11,
  1; All-ASD: 2, 18, 5, 5, 1, 27.8%, 13, 0; All-All: 3, 23, 8, 8, 1, 34.8%, 16, 1.
2024/25 Maidstone All-All = P2 + M1: 2, 8, 4, -, -, 50.0%, 5 (P2) and 1 (M1): a net figure
  (8 - 4 = 4) would hide M1's excess.
2024/25 Kent: Primary-ASD: 2, 14, 4, 3, 1, 28.6%, 10, 0; Secondary-All = S1 (3 rows) + M1:
  3, 17, 8, 5, 0, 47.1%, 11, 2; All-ASD: 3, 24, 6, 5, 1, 25.0%, 18, 0;
  All-All = 3 + 1 + 2 + 2 + 1 + 3 pupils: 5, 31, 12, 8, 1, 38.7%, 21, 2.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.scenarios import srp_scenario
from tests.test_gold_srp_exact import assert_table, table

Y23, Y24 = "2023/24", "2024/25"
P1, P2, S1, M1 = srp_scenario.P1, srp_scenario.P2, srp_scenario.S1, srp_scenario.MAINSTREAM
_ = None  # a measure with no value (null)

M1_REGISTER = [("SRP-M1", M1, "SEMH", "Secondary", 2, 9000)]
EXTRA_CHILDREN = [
    (13, 8, "Maidstone", None, None),
    (14, 9, "Maidstone", None, None),
    (15, 7, "Ashford", None, None),
    (16, 8, "Ashford", None, None),
]
EXTRA_PLANS = [(130, 13, "2020-01-01", None, None), (140, 14, "2020-01-01", None, None),
               (150, 15, "2020-01-01", None, None), (160, 16, "2020-01-01", None, None)]
EXTRA_PLACEMENTS = [
    (1301, 130, M1, None, "2023-09-01", None, "Y", "SEMH"),
    (1401, 140, M1, None, "2023-09-01", None, "Y", "SEMH"),
    (1501, 150, M1, None, "2024-09-01", None, "Y", "SEMH"),
    (1601, 160, S1, None, "2024-09-01", None, "Y", None),
]
RETURN_PLACES = {
    "p1-2023-v1": [("ASD", 8, 99, 9)],
    "p1-2023-v2": [("ASD", 8, 7, 1)],
    "p2-2023": [("ASD", 6, 2, 0)],
    "s1-2023": [("ASD", 10, 5, 5)],
    "p1-2024": [("ASD", 8, 3, 1)],
    "s1-2024": [("ASD", 10, 2, 0), ("SLCN", 5, 3, 0)],
}


def write_places_scenario(con: duckdb.DuckDBPyConnection) -> None:
    srp_scenario.write_bronze(con)
    srp_scenario.write_register(con, M1_REGISTER)
    srp_scenario.write_children(con, EXTRA_CHILDREN, EXTRA_PLANS, EXTRA_PLACEMENTS)
    srp_scenario.write_return_places(con, RETURN_PLACES)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("srp_places_exact"),
                                  write_places_scenario, ("srp_places",))


KEYS = ("level", "level_key", "academic_year", "phase", "designation")
MEASURES = ("srp_count", "commissioned_places", "pupils_on_roll", "pupils_on_roll_returned",
            "assessment_places_returned", "occupancy_pct", "vacancies", "over_subscription")

# 2023/24, per SRP
P1_23 = (1, 8, 7, 7, 1, 87.5, 1, 0)
P2_23 = (1, 6, 2, 2, 0, 33.3, 4, 0)
S1_ASD_23 = (1, 10, 1, _, _, 10.0, 9, 0)
S1_SLCN_23 = (1, 5, 1, _, _, 20.0, 4, 0)
M1_23 = (1, 2, 2, _, _, 100.0, 0, 0)
# 2023/24 roll-ups
ASHFORD_SECONDARY_23 = (2, 15, 2, _, _, 13.3, 13, 0)
ASHFORD_ASD_23 = (2, 18, 8, 7, 1, 44.4, 10, 0)
ASHFORD_ALL_23 = (3, 23, 9, 7, 1, 39.1, 14, 0)
MAIDSTONE_ALL_23 = (2, 8, 4, 2, 0, 50.0, 4, 0)
KENT_PRIMARY_23 = (2, 14, 9, 9, 1, 64.3, 5, 0)
KENT_SECONDARY_23 = (3, 17, 4, _, _, 23.5, 13, 0)
KENT_ASD_23 = (3, 24, 10, 9, 1, 41.7, 14, 0)
KENT_ALL_23 = (5, 31, 13, 9, 1, 41.9, 18, 0)
# 2024/25, per SRP
P1_24 = (1, 8, 3, 3, 1, 37.5, 5, 0)
P2_24 = (1, 6, 1, _, _, 16.7, 5, 0)
S1_ASD_24 = (1, 10, 2, 2, 0, 20.0, 8, 0)
S1_SLCN_24 = (1, 5, 2, 3, 0, 40.0, 3, 0)
S1_UNKNOWN_24 = (0, 0, 1, _, _, _, 0, 1)
M1_24 = (1, 2, 3, _, _, 150.0, 0, 1)
# 2024/25 roll-ups
ASHFORD_SECONDARY_24 = (2, 15, 5, 5, 0, 33.3, 11, 1)
ASHFORD_ASD_24 = (2, 18, 5, 5, 1, 27.8, 13, 0)
ASHFORD_ALL_24 = (3, 23, 8, 8, 1, 34.8, 16, 1)
MAIDSTONE_ALL_24 = (2, 8, 4, _, _, 50.0, 5, 1)
KENT_PRIMARY_24 = (2, 14, 4, 3, 1, 28.6, 10, 0)
KENT_SECONDARY_24 = (3, 17, 8, 5, 0, 47.1, 11, 2)
KENT_ASD_24 = (3, 24, 6, 5, 1, 25.0, 18, 0)
KENT_ALL_24 = (5, 31, 12, 8, 1, 38.7, 21, 2)


def _ashford(year, p1, s1_asd, s1_slcn, secondary, asd, every, s1_unknown=None):
    """District Ashford and area South Kent (the same SRPs) rows of one year."""
    rows = {
        ("Primary", "ASD"): p1, ("Secondary", "ASD"): s1_asd, ("Secondary", "SLCN"): s1_slcn,
        ("Primary", "All"): p1, ("Secondary", "All"): secondary,
        ("All", "ASD"): asd, ("All", "SLCN"): s1_slcn, ("All", "All"): every,
    }
    if s1_unknown:
        rows |= {("Secondary", "unknown"): s1_unknown, ("All", "unknown"): s1_unknown}
    return {(level, key, year, *pd): v for level, key in (("district", "Ashford"),
                                                          ("area", "South Kent"))
            for pd, v in rows.items()}


def _maidstone(year, p2, m1, every):
    """District Maidstone and area West Kent rows of one year: P2 is the only primary and ASD
    SRP, M1 the only secondary and SEMH one."""
    rows = {("Primary", "ASD"): p2, ("Primary", "All"): p2, ("All", "ASD"): p2,
            ("Secondary", "SEMH"): m1, ("Secondary", "All"): m1, ("All", "SEMH"): m1,
            ("All", "All"): every}
    return {(level, key, year, *pd): v for level, key in (("district", "Maidstone"),
                                                          ("area", "West Kent"))
            for pd, v in rows.items()}


EXPECTED = {
    ("school", P1, Y23, "Primary", "ASD"): P1_23,
    ("school", P2, Y23, "Primary", "ASD"): P2_23,
    ("school", S1, Y23, "Secondary", "ASD"): S1_ASD_23,
    ("school", S1, Y23, "Secondary", "SLCN"): S1_SLCN_23,
    ("school", M1, Y23, "Secondary", "SEMH"): M1_23,
    **_ashford(Y23, P1_23, S1_ASD_23, S1_SLCN_23, ASHFORD_SECONDARY_23, ASHFORD_ASD_23,
               ASHFORD_ALL_23),
    **_maidstone(Y23, P2_23, M1_23, MAIDSTONE_ALL_23),
    ("county", "Kent", Y23, "Primary", "ASD"): KENT_PRIMARY_23,
    ("county", "Kent", Y23, "Secondary", "ASD"): S1_ASD_23,
    ("county", "Kent", Y23, "Secondary", "SLCN"): S1_SLCN_23,
    ("county", "Kent", Y23, "Secondary", "SEMH"): M1_23,
    ("county", "Kent", Y23, "Primary", "All"): KENT_PRIMARY_23,
    ("county", "Kent", Y23, "Secondary", "All"): KENT_SECONDARY_23,
    ("county", "Kent", Y23, "All", "ASD"): KENT_ASD_23,
    ("county", "Kent", Y23, "All", "SLCN"): S1_SLCN_23,
    ("county", "Kent", Y23, "All", "SEMH"): M1_23,
    ("county", "Kent", Y23, "All", "All"): KENT_ALL_23,
    ("school", P1, Y24, "Primary", "ASD"): P1_24,
    ("school", P2, Y24, "Primary", "ASD"): P2_24,
    ("school", S1, Y24, "Secondary", "ASD"): S1_ASD_24,
    ("school", S1, Y24, "Secondary", "SLCN"): S1_SLCN_24,
    ("school", S1, Y24, "Secondary", "unknown"): S1_UNKNOWN_24,
    ("school", M1, Y24, "Secondary", "SEMH"): M1_24,
    **_ashford(Y24, P1_24, S1_ASD_24, S1_SLCN_24, ASHFORD_SECONDARY_24, ASHFORD_ASD_24,
               ASHFORD_ALL_24, S1_UNKNOWN_24),
    **_maidstone(Y24, P2_24, M1_24, MAIDSTONE_ALL_24),
    ("county", "Kent", Y24, "Primary", "ASD"): KENT_PRIMARY_24,
    ("county", "Kent", Y24, "Secondary", "ASD"): S1_ASD_24,
    ("county", "Kent", Y24, "Secondary", "SLCN"): S1_SLCN_24,
    ("county", "Kent", Y24, "Secondary", "unknown"): S1_UNKNOWN_24,
    ("county", "Kent", Y24, "Secondary", "SEMH"): M1_24,
    ("county", "Kent", Y24, "Primary", "All"): KENT_PRIMARY_24,
    ("county", "Kent", Y24, "Secondary", "All"): KENT_SECONDARY_24,
    ("county", "Kent", Y24, "All", "ASD"): KENT_ASD_24,
    ("county", "Kent", Y24, "All", "SLCN"): S1_SLCN_24,
    ("county", "Kent", Y24, "All", "unknown"): S1_UNKNOWN_24,
    ("county", "Kent", Y24, "All", "SEMH"): M1_24,
    ("county", "Kent", Y24, "All", "All"): KENT_ALL_24,
}


def test_srp_places_every_row_and_measure(warehouse):
    found = table(warehouse, "srp_places", KEYS, MEASURES)
    assert_table(found, EXPECTED, MEASURES)


def test_srp_places_rows_carry_the_schools_geography(warehouse):
    found = table(warehouse, "srp_places", KEYS,
                  ("area", "district", "urn", "school_name", "srp_id"))
    assert found[("school", M1, Y24, "Secondary", "SEMH")] == (
        "West Kent", "Maidstone", M1, "Maidstone Academy", "SRP-M1")
    assert found[("school", S1, Y24, "Secondary", "unknown")] == (
        "South Kent", "Ashford", S1, "Ashford High", "SRP-S1")
    assert found[("district", "Ashford", Y24, "All", "All")] == (
        "South Kent", "Ashford", None, None, None)
    assert found[("area", "West Kent", Y24, "All", "All")] == ("West Kent", None, None, None, None)
    assert found[("county", "Kent", Y24, "All", "All")] == (None, None, None, None, None)
