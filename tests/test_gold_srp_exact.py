"""The SRP gold tables, figure by figure, on a small hand-built scenario.

tests/scenarios/srp_scenario.py writes the scenario straight into a fresh warehouse's bronze;
dbt builds the SRP gold models and their ancestors (and runs the SRP models' dbt tests); every
measure of every row is then compared with the figures below, worked out by hand from the
scenario's table (not computed by the code under test). Distances are whole km by
construction; medians and percentiles are continuous (interpolated).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.scenarios import srp_scenario

SRP_MODELS = ("phase_transfer_pathways", "srp_travel", "srp_finance", "srp_kpis",
              "srp_returns_reconciliation", "srp_demand_forecast")
Y23, Y24 = "2023/24", "2024/25"
P1, P2, S1 = srp_scenario.P1, srp_scenario.P2, srp_scenario.S1
G, A, R = "Green", "Amber", "Red"
_ = None  # a measure with no value (null)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("srp_exact"), srp_scenario.write_bronze,
                                  SRP_MODELS)


def table(warehouse: Path, name: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(keys + measures)} from gold.{name}"
        ).fetchall()
    found = {row[:len(keys)]: row[len(keys):] for row in rows}
    assert len(found) == len(rows), f"duplicate keys in gold.{name}"
    return found


def distinct(warehouse: Path, name: str, columns: str) -> set[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return set(con.execute(f"select distinct {columns} from gold.{name}").fetchall())


def assert_table(found: dict, expected: dict, measures: tuple[str, ...]) -> None:
    assert sorted(found, key=str) == sorted(expected, key=str)
    for key, values in expected.items():
        assert len(values) == len(measures), key
        for measure, got, want in zip(measures, found[key], values):
            if isinstance(want, float):
                assert got == pytest.approx(want, abs=1e-9), (key, measure, got, want)
            else:
                assert got == want, (key, measure, got, want)


# ---------------------------------------------------------------------------------------
# phase_transfer_pathways: 2023/24 is the only transfer year (2024/25 -> 2025/26 census day is
# not covered). Year 6: children 1, 2 (Ashford), 3, 6 (Dover), 4, 5 (Maidstone), all ASD.
# ---------------------------------------------------------------------------------------
PATHWAY_MEASURES = (
    "year6_pupils", "to_secondary_srp_same_designation", "to_secondary_srp_other_designation",
    "to_mainstream", "to_special_state_funded", "to_independent_non_maintained",
    "to_other_arrangement", "to_no_plan_or_left",
    "to_secondary_srp_same_designation_share", "to_secondary_srp_other_designation_share",
    "to_mainstream_share", "to_special_state_funded_share",
    "to_independent_non_maintained_share", "to_other_arrangement_share",
    "to_no_plan_or_left_share", "continuing_to_secondary_srp",
    "continuing_to_secondary_srp_share", "secondary_srp_places", "year7_places",
    "year7_places_gap",
)
NO_COHORT = (0, 0, 0, 0, 0, 0, 0, 0, _, _, _, _, _, _, _, 0, _)
ASHFORD = (2, 1, 0, 0, 1, 0, 0, 0, 0.5, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1, 0.5)
DOVER = (2, 0, 1, 0, 0, 0, 1, 0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0.0, 1, 0.5)
MAIDSTONE = (2, 0, 0, 1, 0, 0, 0, 1, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0, 0.0)
SOUTH_KENT = (4, 1, 1, 0, 1, 0, 1, 0, 0.25, 0.25, 0.0, 0.25, 0.0, 0.25, 0.0, 2, 0.5)
KENT = (6, 1, 1, 1, 1, 0, 1, 1, 0.1667, 0.1667, 0.1667, 0.1667, 0.0, 0.1667, 0.1667, 2, 0.3333)
EXPECTED_PATHWAYS = {
    ("district", "Ashford", "ASD"): ASHFORD + (10, 2.0, 0.0),
    ("district", "Ashford", "SLCN"): NO_COHORT + (5, 1.0, -1.0),
    ("district", "Ashford", "All"): ASHFORD + (15, 3.0, -1.0),
    ("district", "Dover", "ASD"): DOVER + (0, 0.0, 2.0),
    ("district", "Dover", "All"): DOVER + (0, 0.0, 2.0),
    ("district", "Maidstone", "ASD"): MAIDSTONE + (0, 0.0, 2.0),
    ("district", "Maidstone", "All"): MAIDSTONE + (0, 0.0, 2.0),
    ("area", "South Kent", "ASD"): SOUTH_KENT + (10, 2.0, 2.0),
    ("area", "South Kent", "SLCN"): NO_COHORT + (5, 1.0, -1.0),
    ("area", "South Kent", "All"): SOUTH_KENT + (15, 3.0, 1.0),
    ("area", "West Kent", "ASD"): MAIDSTONE + (0, 0.0, 2.0),
    ("area", "West Kent", "All"): MAIDSTONE + (0, 0.0, 2.0),
    ("county", "Kent", "ASD"): KENT + (10, 2.0, 4.0),
    ("county", "Kent", "SLCN"): NO_COHORT + (5, 1.0, -1.0),
    ("county", "Kent", "All"): KENT + (15, 3.0, 3.0),
}


def test_phase_transfer_pathways(warehouse):
    found = table(warehouse, "phase_transfer_pathways",
                  ("transfer_year", "entry_year", "level", "level_key", "designation"),
                  PATHWAY_MEASURES)
    assert {k[:2] for k in found} == {(Y23, Y24)}
    assert_table({k[2:]: v for k, v in found.items()}, EXPECTED_PATHWAYS, PATHWAY_MEASURES)


# ---------------------------------------------------------------------------------------
# srp_travel: school rows per SRP (school = URN, the school's geography); district, area and
# county rows group the pupils by where they LIVE (home district and area). Child 6 has no
# coordinates.
# ---------------------------------------------------------------------------------------
TRAVEL_MEASURES = (
    "pupils_on_roll", "pupils_with_known_distance", "mean_distance_km", "median_distance_km",
    "p90_distance_km", "pupils_from_other_district", "from_other_district_share",
    "pupils_distance_unknown", "distance_unknown_share",
)
# 2023/24: P1 [1, 2, 5, 10, 13, 20] + child 6 unknown; P2 [3, 5]; S1 ASD [4]; S1 SLCN [25]
T23_P1 = (7, 6, 8.5, 7.5, 16.5, 3, 0.4286, 1, 0.1429)
T23_P2 = (2, 2, 4.0, 4.0, 4.8, 0, 0.0, 0, 0.0)
T23_S1_ASD = (1, 1, 4.0, 4.0, 4.0, 0, 0.0, 0, 0.0)
T23_S1_SLCN = (1, 1, 25.0, 25.0, 25.0, 1, 1.0, 0, 0.0)
# by home: Ashford children 1 (2), 2 (5), 7 (4), 9 (10), 11 (1), all at Ashford schools;
# Dover children 3 (13), 6 (unknown), 12 (20), all at P1 in Ashford; Maidstone children 4 (3)
# and 5 (5) at P2, 8 (25) at S1 in Ashford
T23_HOME_ASHFORD = (5, 5, 4.4, 4.0, 8.0, 0, 0.0, 0, 0.0)
T23_HOME_DOVER = (3, 2, 16.5, 16.5, 19.3, 3, 1.0, 1, 0.3333)
T23_HOME_MAIDSTONE_ALL = (3, 3, 11.0, 5.0, 21.0, 1, 0.3333, 0, 0.0)
T23_SOUTH_KENT = (8, 7, 7.86, 5.0, 15.8, 3, 0.375, 1, 0.125)  # [1, 2, 4, 5, 10, 13, 20] + 6
# 2024/25: P1 [1, 10, 20]; P2 [1]; S1 ASD [4, 8]; S1 SLCN [13, 25]
T24_P1 = (3, 3, 10.33, 10.0, 18.0, 1, 0.3333, 0, 0.0)
T24_P2 = (1, 1, 1.0, 1.0, 1.0, 0, 0.0, 0, 0.0)
T24_S1_ASD = (2, 2, 6.0, 6.0, 7.6, 0, 0.0, 0, 0.0)
T24_S1_SLCN = (2, 2, 19.0, 19.0, 23.8, 2, 1.0, 0, 0.0)
# by home: Ashford 1 (8), 7 (4), 9 (10), 11 (1), all ASD at Ashford schools; Dover 12 (20, ASD
# at P1) and 3 (13, SLCN at S1); Maidstone 10 (1, ASD at P2) and 8 (25, SLCN at S1)
T24_HOME_ASHFORD = (4, 4, 5.75, 6.0, 9.4, 0, 0.0, 0, 0.0)
T24_HOME_DOVER_ASD = (1, 1, 20.0, 20.0, 20.0, 1, 1.0, 0, 0.0)
T24_HOME_DOVER_SLCN = (1, 1, 13.0, 13.0, 13.0, 1, 1.0, 0, 0.0)
T24_HOME_DOVER_ALL = (2, 2, 16.5, 16.5, 19.3, 2, 1.0, 0, 0.0)
T24_HOME_MAIDSTONE_SLCN = (1, 1, 25.0, 25.0, 25.0, 1, 1.0, 0, 0.0)
T24_HOME_MAIDSTONE_ALL = (2, 2, 13.0, 13.0, 22.6, 1, 0.5, 0, 0.0)
T24_SOUTH_KENT_ASD = (5, 5, 8.6, 8.0, 16.0, 1, 0.2, 0, 0.0)  # [1, 4, 8, 10, 20]
T24_SOUTH_KENT_ALL = (6, 6, 9.33, 9.0, 16.5, 2, 0.3333, 0, 0.0)  # [1, 4, 8, 10, 13, 20]
EXPECTED_TRAVEL = {
    ("school", P1, Y23, "ASD"): T23_P1,
    ("school", P2, Y23, "ASD"): T23_P2,
    ("school", S1, Y23, "ASD"): T23_S1_ASD,
    ("school", S1, Y23, "SLCN"): T23_S1_SLCN,
    ("district", "Ashford", Y23, "ASD"): T23_HOME_ASHFORD,
    ("district", "Ashford", Y23, "All"): T23_HOME_ASHFORD,
    ("district", "Dover", Y23, "ASD"): T23_HOME_DOVER,
    ("district", "Dover", Y23, "All"): T23_HOME_DOVER,
    ("district", "Maidstone", Y23, "ASD"): T23_P2,
    ("district", "Maidstone", Y23, "SLCN"): T23_S1_SLCN,
    ("district", "Maidstone", Y23, "All"): T23_HOME_MAIDSTONE_ALL,
    ("area", "South Kent", Y23, "ASD"): T23_SOUTH_KENT,
    ("area", "South Kent", Y23, "All"): T23_SOUTH_KENT,
    ("area", "West Kent", Y23, "ASD"): T23_P2,
    ("area", "West Kent", Y23, "SLCN"): T23_S1_SLCN,
    ("area", "West Kent", Y23, "All"): T23_HOME_MAIDSTONE_ALL,
    # [1, 2, 3, 4, 5, 5, 10, 13, 20] and child 6
    ("county", "Kent", Y23, "ASD"): (10, 9, 7.0, 5.0, 14.4, 3, 0.3, 1, 0.1),
    ("county", "Kent", Y23, "SLCN"): T23_S1_SLCN,
    ("county", "Kent", Y23, "All"): (11, 10, 8.8, 5.0, 20.5, 4, 0.3636, 1, 0.0909),
    ("school", P1, Y24, "ASD"): T24_P1,
    ("school", P2, Y24, "ASD"): T24_P2,
    ("school", S1, Y24, "ASD"): T24_S1_ASD,
    ("school", S1, Y24, "SLCN"): T24_S1_SLCN,
    ("district", "Ashford", Y24, "ASD"): T24_HOME_ASHFORD,
    ("district", "Ashford", Y24, "All"): T24_HOME_ASHFORD,
    ("district", "Dover", Y24, "ASD"): T24_HOME_DOVER_ASD,
    ("district", "Dover", Y24, "SLCN"): T24_HOME_DOVER_SLCN,
    ("district", "Dover", Y24, "All"): T24_HOME_DOVER_ALL,
    ("district", "Maidstone", Y24, "ASD"): T24_P2,
    ("district", "Maidstone", Y24, "SLCN"): T24_HOME_MAIDSTONE_SLCN,
    ("district", "Maidstone", Y24, "All"): T24_HOME_MAIDSTONE_ALL,
    ("area", "South Kent", Y24, "ASD"): T24_SOUTH_KENT_ASD,
    ("area", "South Kent", Y24, "SLCN"): T24_HOME_DOVER_SLCN,
    ("area", "South Kent", Y24, "All"): T24_SOUTH_KENT_ALL,
    ("area", "West Kent", Y24, "ASD"): T24_P2,
    ("area", "West Kent", Y24, "SLCN"): T24_HOME_MAIDSTONE_SLCN,
    ("area", "West Kent", Y24, "All"): T24_HOME_MAIDSTONE_ALL,
    ("county", "Kent", Y24, "ASD"): (6, 6, 7.33, 6.0, 15.0, 1, 0.1667, 0, 0.0),
    ("county", "Kent", Y24, "SLCN"): T24_S1_SLCN,
    ("county", "Kent", Y24, "All"): (8, 8, 10.25, 9.0, 21.5, 3, 0.375, 0, 0.0),
}


def test_srp_travel(warehouse):
    found = table(warehouse, "srp_travel", ("level", "level_key", "academic_year", "designation"),
                  TRAVEL_MEASURES)
    assert_table(found, EXPECTED_TRAVEL, TRAVEL_MEASURES)


def test_srp_travel_school_rows_carry_the_schools_geography(warehouse):
    found = table(warehouse, "srp_travel", ("level", "level_key", "academic_year", "designation"),
                  ("area", "district", "urn", "school_name"))
    assert found[("school", S1, Y24, "SLCN")] == ("South Kent", "Ashford", S1, "Ashford High")
    assert found[("district", "Maidstone", Y24, "All")] == ("West Kent", "Maidstone", None, None)
    assert found[("county", "Kent", Y24, "All")] == (None, None, None, None)


# ---------------------------------------------------------------------------------------
# srp_finance. Council: £10,000 a place + top-up x census-day pupils. Returns: P1 2023/24 v2
# (v1 superseded), P2 2023/24 (late), S1 2023/24 invalid (none current), P1 and S1 2024/25
# (S1 split 10/15 ASD, 5/15 SLCN), P2 2024/25 none.
# ---------------------------------------------------------------------------------------
FINANCE_MEASURES = (
    "srp_count", "commissioned_places", "pupils_on_roll", "place_funding_rate_gbp",
    "top_up_rate_gbp", "council_place_funding_gbp", "council_top_up_gbp", "council_funding_gbp",
    "council_funding_per_commissioned_place_gbp", "srps_with_return", "return_allocation_share",
    "return_commissioned_places", "return_pupils_on_roll",
    "return_income_place_funding_gbp", "return_income_top_up_gbp", "return_income_other_gbp",
    "return_spend_teaching_staff_gbp", "return_spend_support_staff_gbp",
    "return_spend_therapies_gbp", "return_spend_resources_gbp", "return_spend_training_gbp",
    "return_spend_other_gbp", "return_income_total_gbp", "return_spend_total_gbp",
    "return_surplus_gbp", "return_cost_per_commissioned_place_gbp",
    "return_cost_per_pupil_gbp", "envelope_gbp", "envelope_used_share",
    "envelope_remaining_gbp",
)
NO_RETURN = (_,) * 16
NO_ENVELOPE = (_, _, _)
# return: places, pupils, 9 lines, income, spend, surplus, per place, per pupil
F23_P1_RET = (8, 7, 80000, 42000, 0, 60000, 50000, 10000, 5000, 2000, 1000,
              122000, 128000, -6000, 16000.0, 18285.71)
F23_P2_RET = (6, 2, 60000, 12000, 3000, 40000, 25000, 5000, 2000, 1000, 0,
              75000, 73000, 2000, 12166.67, 36500.0)
F23_P2 = (1, 6, 2, _, _, 60000, 12000, 72000, 12000.0, 1, _) + F23_P2_RET + NO_ENVELOPE
F23_S1_SLCN = (1, 5, 1, _, _, 50000, 8000, 58000, 11600.0, 0, _, _, _) + NO_RETURN[2:] + NO_ENVELOPE
F23_ASHFORD_ASD = (2, 18, 8, _, _, 180000, 49000, 229000, 12722.22, 1, _) + F23_P1_RET + NO_ENVELOPE
F23_ASHFORD_ALL = (3, 23, 9, _, _, 230000, 57000, 287000, 12478.26, 1, _) + F23_P1_RET + NO_ENVELOPE
F24_P1_RET = (8, 3, 80000, 30000, 1000, 55000, 45000, 8000, 4000, 2000, 1000,
              111000, 115000, -4000, 14375.0, 38333.33)
F24_S1_ASD_RET = (10, 2, 100000, 18667, 1333, 60000, 40000, 10000, 4000, 2000, 2000,
                  120000, 118000, 2000, 11800.0, 59000.0)
F24_S1_SLCN_RET = (5, 2, 50000, 9333, 667, 30000, 20000, 5000, 2000, 1000, 1000,
                   60000, 59000, 1000, 11800.0, 29500.0)
F24_ASHFORD_ASD_RET = (18, 5, 180000, 48667, 2333, 115000, 85000, 18000, 8000, 4000, 3000,
                       231000, 233000, -2000, 12944.44, 46600.0)
F24_ASHFORD_ALL_RET = (23, 7, 230000, 58000, 3000, 145000, 105000, 23000, 10000, 5000, 4000,
                       291000, 292000, -1000, 12695.65, 41714.29)
F24_P2 = (1, 6, 1, _, _, 60000, 6000, 66000, 11000.0, 0, _) + NO_RETURN + NO_ENVELOPE
F24_S1_SLCN = (1, 5, 2, _, _, 50000, 16000, 66000, 13200.0, 1, _) + F24_S1_SLCN_RET + NO_ENVELOPE
F24_ASHFORD_ASD = (2, 18, 5, _, _, 180000, 32000, 212000, 11777.78, 2, _) + F24_ASHFORD_ASD_RET + NO_ENVELOPE
F24_ASHFORD_ALL = (3, 23, 7, _, _, 230000, 48000, 278000, 12086.96, 3, _) + F24_ASHFORD_ALL_RET + NO_ENVELOPE
EXPECTED_FINANCE = {
    ("school", P1, Y23, "ASD"): (1, 8, 7, 10000.0, 6000.0, 80000, 42000, 122000, 15250.0, 1, 1.0)
    + F23_P1_RET + NO_ENVELOPE,
    ("school", P2, Y23, "ASD"): (1, 6, 2, 10000.0, 6000.0, 60000, 12000, 72000, 12000.0, 1, 1.0)
    + F23_P2_RET + NO_ENVELOPE,
    ("school", S1, Y23, "ASD"): (1, 10, 1, 10000.0, 7000.0, 100000, 7000, 107000, 10700.0, 0, _)
    + NO_RETURN + NO_ENVELOPE,
    ("school", S1, Y23, "SLCN"): (1, 5, 1, 10000.0, 8000.0, 50000, 8000, 58000, 11600.0, 0, _)
    + NO_RETURN + NO_ENVELOPE,
    ("district", "Ashford", Y23, "ASD"): F23_ASHFORD_ASD,
    ("district", "Ashford", Y23, "SLCN"): F23_S1_SLCN,
    ("district", "Ashford", Y23, "All"): F23_ASHFORD_ALL,
    ("district", "Maidstone", Y23, "ASD"): F23_P2,
    ("district", "Maidstone", Y23, "All"): F23_P2,
    ("area", "South Kent", Y23, "ASD"): F23_ASHFORD_ASD,
    ("area", "South Kent", Y23, "SLCN"): F23_S1_SLCN,
    ("area", "South Kent", Y23, "All"): F23_ASHFORD_ALL,
    ("area", "West Kent", Y23, "ASD"): F23_P2,
    ("area", "West Kent", Y23, "All"): F23_P2,
    ("county", "Kent", Y23, "ASD"): (3, 24, 10, _, _, 240000, 61000, 301000, 12541.67, 2, _,
                                     14, 9, 140000, 54000, 3000, 100000, 75000, 15000, 7000,
                                     3000, 1000, 197000, 201000, -4000, 14357.14, 22333.33)
    + NO_ENVELOPE,
    ("county", "Kent", Y23, "SLCN"): F23_S1_SLCN,
    ("county", "Kent", Y23, "All"): (4, 29, 11, _, _, 290000, 69000, 359000, 12379.31, 2, _,
                                     14, 9, 140000, 54000, 3000, 100000, 75000, 15000, 7000,
                                     3000, 1000, 197000, 201000, -4000, 14357.14, 22333.33,
                                     22000000, 0.0163, 21641000),
    ("school", P1, Y24, "ASD"): (1, 8, 3, 10000.0, 6000.0, 80000, 18000, 98000, 12250.0, 1, 1.0)
    + F24_P1_RET + NO_ENVELOPE,
    ("school", P2, Y24, "ASD"): (1, 6, 1, 10000.0, 6000.0, 60000, 6000, 66000, 11000.0, 0, _)
    + NO_RETURN + NO_ENVELOPE,
    ("school", S1, Y24, "ASD"): (1, 10, 2, 10000.0, 7000.0, 100000, 14000, 114000, 11400.0, 1,
                                 0.6667) + F24_S1_ASD_RET + NO_ENVELOPE,
    ("school", S1, Y24, "SLCN"): (1, 5, 2, 10000.0, 8000.0, 50000, 16000, 66000, 13200.0, 1,
                                  0.3333) + F24_S1_SLCN_RET + NO_ENVELOPE,
    ("district", "Ashford", Y24, "ASD"): F24_ASHFORD_ASD,
    ("district", "Ashford", Y24, "SLCN"): F24_S1_SLCN,
    ("district", "Ashford", Y24, "All"): F24_ASHFORD_ALL,
    ("district", "Maidstone", Y24, "ASD"): F24_P2,
    ("district", "Maidstone", Y24, "All"): F24_P2,
    ("area", "South Kent", Y24, "ASD"): F24_ASHFORD_ASD,
    ("area", "South Kent", Y24, "SLCN"): F24_S1_SLCN,
    ("area", "South Kent", Y24, "All"): F24_ASHFORD_ALL,
    ("area", "West Kent", Y24, "ASD"): F24_P2,
    ("area", "West Kent", Y24, "All"): F24_P2,
    ("county", "Kent", Y24, "ASD"): (3, 24, 6, _, _, 240000, 38000, 278000, 11583.33, 2, _)
    + F24_ASHFORD_ASD_RET + NO_ENVELOPE,
    ("county", "Kent", Y24, "SLCN"): F24_S1_SLCN,
    ("county", "Kent", Y24, "All"): (4, 29, 8, _, _, 290000, 54000, 344000, 11862.07, 3, _)
    + F24_ASHFORD_ALL_RET + (22000000, 0.0156, 21656000),
}


def test_srp_finance(warehouse):
    found = table(warehouse, "srp_finance", ("level", "level_key", "academic_year", "designation"),
                  FINANCE_MEASURES)
    assert_table(found, EXPECTED_FINANCE, FINANCE_MEASURES)


# ---------------------------------------------------------------------------------------
# srp_kpis (per school; reviews from Synergy: census 2024-01-18 / 2025-01-16)
# ---------------------------------------------------------------------------------------
KPI_MEASURES = (
    "srp_schools", "commissioned_places", "pupils_on_roll", "occupancy_pct",
    "schools_with_return", "return_pupils", "attendance_pct", "suspension_days",
    "suspension_days_per_pupil", "permanent_exclusions", "permanent_exclusion_pct",
    "timetable_in_mainstream_pct", "annual_reviews_due", "annual_reviews_on_time",
    "annual_reviews_on_time_pct", "outreach_sessions", "parents_satisfied_pct",
    "pupils_meeting_outcomes_pct", "attendance_pct_rag", "suspension_days_per_pupil_rag",
    "permanent_exclusion_pct_rag", "timetable_in_mainstream_pct_rag",
    "annual_reviews_on_time_pct_rag", "parents_satisfied_pct_rag",
    "pupils_meeting_outcomes_pct_rag", "occupancy_pct_rag", "overall_rag",
)
K23_P2 = (1, 6, 2, 33.3, 1, 2, 83.0, 4.0, 2.0, 0, 0.0, 25.0, 2, 2, 100.0, 4, 75.0, 60.0,
          R, R, G, R, G, A, R, R, R)
K23_ASHFORD = (2, 23, 9, 39.1, 1, 7, 91.0, 0.0, 0.0, 0, 0.0, 30.0, 8, 6, 75.0, 10, 90.0, 85.0,
               A, G, G, A, A, G, G, R, R)
K24_P2 = (1, 6, 1, 16.7, 0, _, _, _, _, _, _, _, 0, 0, _, _, _, _, _, _, _, _, _, _, _, R, R)
K24_ASHFORD = (2, 23, 7, 30.4, 2, 7, 91.7, 4.0, 0.57, 1, 14.3, 53.3, 7, 5, 71.4, 32, 84.0, 76.0,
               A, A, R, G, R, A, A, R, R)
EXPECTED_KPIS = {
    ("school", P1, Y23): (1, 8, 7, 87.5, 1, 7, 91.0, 0.0, 0.0, 0, 0.0, 30.0, 6, 5, 83.3, 10,
                          90.0, 85.0, A, G, G, A, A, G, G, A, A),
    ("school", P2, Y23): K23_P2,
    ("school", S1, Y23): (1, 15, 2, 13.3, 0, _, _, _, _, _, _, _, 2, 1, 50.0, _, _, _,
                          _, _, _, _, R, _, _, R, R),
    ("district", "Ashford", Y23): K23_ASHFORD,
    ("district", "Maidstone", Y23): K23_P2,
    ("area", "South Kent", Y23): K23_ASHFORD,
    ("area", "West Kent", Y23): K23_P2,
    ("county", "Kent", Y23): (3, 29, 11, 37.9, 2, 9, 89.2, 4.0, 0.44, 0, 0.0, 28.9, 10, 8, 80.0,
                              14, 82.5, 72.5, A, G, G, R, A, A, A, R, R),
    ("school", P1, Y24): (1, 8, 3, 37.5, 1, 3, 90.0, 3.0, 1.0, 1, 33.3, 50.0, 3, 2, 66.7, 12,
                          80.0, 70.0, A, A, R, G, R, A, A, R, R),
    ("school", P2, Y24): K24_P2,
    ("school", S1, Y24): (1, 15, 4, 26.7, 1, 4, 93.0, 1.0, 0.25, 0, 0.0, 55.0, 4, 3, 75.0, 20,
                          88.0, 82.0, G, G, G, G, A, G, G, R, R),
    ("district", "Ashford", Y24): K24_ASHFORD,
    ("district", "Maidstone", Y24): K24_P2,
    ("area", "South Kent", Y24): K24_ASHFORD,
    ("area", "West Kent", Y24): K24_P2,
    ("county", "Kent", Y24): (3, 29, 8, 27.6, 2, 7, 91.7, 4.0, 0.57, 1, 14.3, 53.3, 7, 5, 71.4,
                              32, 84.0, 76.0, A, A, R, G, R, A, A, R, R),
}


def test_srp_kpis(warehouse):
    found = table(warehouse, "srp_kpis", ("level", "level_key", "academic_year"), KPI_MEASURES)
    assert_table(found, EXPECTED_KPIS, KPI_MEASURES)


# ---------------------------------------------------------------------------------------
# srp_returns_reconciliation (Synergy side: pupils in the SRP at any time in the year)
# ---------------------------------------------------------------------------------------
RECONCILIATION_MEASURES = (
    "returns_expected", "returns_missing", "schools_with_current_return", "returns_received",
    "returns_valid", "returns_late", "returns_superseded", "error_count", "warning_count",
    "synergy_pupils", "return_pupils", "pupils_in_both", "pupils_only_in_synergy",
    "pupils_only_in_return", "designation_mismatches", "nc_year_mismatches",
)
R23_P2 = (1, 0, 1, 1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0)
R23_ASHFORD = (2, 0, 1, 3, 2, 0, 1, 2, 2, 9, 7, 7, 0, 0, 0, 0)
R24_P2 = (1, 1, 0, 0, 0, 0, 0, 0, 0, 1, _, _, _, _, _, _)
R24_ASHFORD = (2, 0, 2, 2, 2, 0, 0, 0, 1, 7, 7, 6, 1, 1, 1, 1)
EXPECTED_RECONCILIATION = {
    ("school", P1, Y23): (1, 0, 1, 2, 2, 0, 1, 0, 1, 7, 7, 7, 0, 0, 0, 0),
    ("school", P2, Y23): R23_P2,
    ("school", S1, Y23): (1, 0, 0, 1, 0, 0, 0, 2, 1, 2, _, _, _, _, _, _),
    ("district", "Ashford", Y23): R23_ASHFORD,
    ("district", "Maidstone", Y23): R23_P2,
    ("area", "South Kent", Y23): R23_ASHFORD,
    ("area", "West Kent", Y23): R23_P2,
    ("county", "Kent", Y23): (3, 0, 2, 4, 3, 1, 1, 2, 2, 11, 9, 9, 0, 0, 0, 0),
    ("school", P1, Y24): (1, 0, 1, 1, 1, 0, 0, 0, 0, 3, 3, 2, 1, 1, 1, 1),
    ("school", P2, Y24): R24_P2,
    ("school", S1, Y24): (1, 0, 1, 1, 1, 0, 0, 0, 1, 4, 4, 4, 0, 0, 0, 0),
    ("district", "Ashford", Y24): R24_ASHFORD,
    ("district", "Maidstone", Y24): R24_P2,
    ("area", "South Kent", Y24): R24_ASHFORD,
    ("area", "West Kent", Y24): R24_P2,
    ("county", "Kent", Y24): (3, 1, 2, 2, 2, 0, 0, 0, 1, 8, 7, 6, 1, 1, 1, 1),
}


def test_srp_returns_reconciliation(warehouse):
    found = table(warehouse, "srp_returns_reconciliation",
                  ("level", "level_key", "academic_year"), RECONCILIATION_MEASURES)
    assert_table(found, EXPECTED_RECONCILIATION, RECONCILIATION_MEASURES)
    deadlines = distinct(warehouse, "srp_returns_reconciliation",
                         "academic_year, cast(return_deadline as varchar)")
    assert deadlines == {(Y23, "2024-09-30"), (Y24, "2025-09-30")}


# ---------------------------------------------------------------------------------------
# srp_demand_forecast: base census 2024/25; Year 2-6 primary SRP pupils then: child 11 (Y6,
# Ashford), 9 (Y5, Ashford), 12 (Y3, Dover), 10 (Y2, Maidstone), all ASD. Every district has
# 2 observed transfers (< 5): county ASD rate 2/6; SLCN never observed: county rate over all
# designations 2/6. Places: S1 ASD 10 and SLCN 5 (2024/25) carried forward.
# ---------------------------------------------------------------------------------------
FORECAST_MEASURES = (
    "years_ahead", "primary_srp_pupils", "transfers_observed", "rate_source",
    "continuation_rate_share", "projected_year7_demand", "secondary_srp_places", "year7_places",
    "year7_shortfall",
)
FUTURE = ("2025/26", "2026/27", "2027/28", "2028/29", "2029/30")
ROLL_UP = (_, _, _)


def _forecast_rows(level, key, designation, rate, pupils, demand, places, year7, shortfall):
    """One expected row per forecast year from per-year literal lists (None: no row)."""
    return {
        (level, key, year, designation): (ahead + 1, pupils[ahead], *rate, demand[ahead], places,
                                          year7, shortfall[ahead])
        for ahead, year in enumerate(FUTURE) if pupils[ahead] is not None
    }


COUNTY_RATE = (2, "county", 0.3333)
EXPECTED_FORECAST = {
    **_forecast_rows("district", "Ashford", "ASD", COUNTY_RATE, [1, 1, 0, 0, 0],
                     [0.3, 0.3, 0.0, 0.0, 0.0], 10, 2.0, [-1.7, -1.7, -2.0, -2.0, -2.0]),
    **_forecast_rows("district", "Ashford", "SLCN", (0, "county, all designations", 0.3333),
                     [0, 0, 0, 0, 0], [0.0] * 5, 5, 1.0, [-1.0] * 5),
    **_forecast_rows("district", "Ashford", "All", ROLL_UP, [1, 1, 0, 0, 0],
                     [0.3, 0.3, 0.0, 0.0, 0.0], 15, 3.0, [-2.7, -2.7, -3.0, -3.0, -3.0]),
    **_forecast_rows("district", "Dover", "ASD", COUNTY_RATE, [_, _, _, 1, _],
                     [_, _, _, 0.3, _], 0, 0.0, [_, _, _, 0.3, _]),
    **_forecast_rows("district", "Dover", "All", ROLL_UP, [_, _, _, 1, _],
                     [_, _, _, 0.3, _], 0, 0.0, [_, _, _, 0.3, _]),
    **_forecast_rows("district", "Maidstone", "ASD", COUNTY_RATE, [_, _, _, _, 1],
                     [_, _, _, _, 0.3], 0, 0.0, [_, _, _, _, 0.3]),
    **_forecast_rows("district", "Maidstone", "All", ROLL_UP, [_, _, _, _, 1],
                     [_, _, _, _, 0.3], 0, 0.0, [_, _, _, _, 0.3]),
    **_forecast_rows("area", "South Kent", "ASD", ROLL_UP, [1, 1, 0, 1, 0],
                     [0.3, 0.3, 0.0, 0.3, 0.0], 10, 2.0, [-1.7, -1.7, -2.0, -1.7, -2.0]),
    **_forecast_rows("area", "South Kent", "SLCN", ROLL_UP, [0, 0, 0, 0, 0], [0.0] * 5, 5, 1.0,
                     [-1.0] * 5),
    **_forecast_rows("area", "South Kent", "All", ROLL_UP, [1, 1, 0, 1, 0],
                     [0.3, 0.3, 0.0, 0.3, 0.0], 15, 3.0, [-2.7, -2.7, -3.0, -2.7, -3.0]),
    **_forecast_rows("area", "West Kent", "ASD", ROLL_UP, [_, _, _, _, 1],
                     [_, _, _, _, 0.3], 0, 0.0, [_, _, _, _, 0.3]),
    **_forecast_rows("area", "West Kent", "All", ROLL_UP, [_, _, _, _, 1],
                     [_, _, _, _, 0.3], 0, 0.0, [_, _, _, _, 0.3]),
    **_forecast_rows("county", "Kent", "ASD", ROLL_UP, [1, 1, 0, 1, 1],
                     [0.3, 0.3, 0.0, 0.3, 0.3], 10, 2.0, [-1.7, -1.7, -2.0, -1.7, -1.7]),
    **_forecast_rows("county", "Kent", "SLCN", ROLL_UP, [0, 0, 0, 0, 0], [0.0] * 5, 5, 1.0,
                     [-1.0] * 5),
    **_forecast_rows("county", "Kent", "All", ROLL_UP, [1, 1, 0, 1, 1],
                     [0.3, 0.3, 0.0, 0.3, 0.3], 15, 3.0, [-2.7, -2.7, -3.0, -2.7, -2.7]),
}


def test_srp_demand_forecast(warehouse):
    found = table(warehouse, "srp_demand_forecast",
                  ("level", "level_key", "forecast_year", "designation"), FORECAST_MEASURES)
    assert_table(found, EXPECTED_FORECAST, FORECAST_MEASURES)
    bases = distinct(warehouse, "srp_demand_forecast", "base_census_year, places_register_year")
    assert bases == {(Y24, Y24)}


def test_return_pupils_reach_silver_only_as_upn_pseudonyms(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'silver' and table_name = 'silver_return_pupils'").fetchall()]
        values = {v for col in columns for (v,) in con.execute(
            f'select distinct cast("{col}" as varchar) from silver.silver_return_pupils').fetchall()}
        matched = con.execute(
            "select count(distinct r.upn_key) from silver.silver_return_pupils as r "
            "inner join silver.silver_person as p on r.upn_key = p.upn_key").fetchall()[0][0]
    assert "upn" not in columns
    upns = {srp_scenario.upn(c) for c in range(1, 13)} | {srp_scenario.upn("X")}
    assert not values & upns
    assert matched == 11  # every return pupil but the one Synergy does not know (X)
