"""Checks that can fire (issue 17 item 6). A Great Expectations threshold either says what the
data can really be or goes; dbt tests and GX suites never check the same thing twice (dbt owns
structure: keys, not-null, accepted values, ranges true by definition; GX owns distributions).

The real suites from expectations/ are run on small frames shaped like their tables: each
frame a defect the old threshold let through (occupancy 0-400 with mostly 0.99, main_urn not
null with mostly 0.5).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration.dbt_project import DBT_PROJECT
from orchestration.quality.gx_suites import load_suite_spec, validate_dataframe
from orchestration.settings import EXPECTATIONS_DIR

# GX expectation type -> the dbt generic tests that check the same property of a column
SAME_CHECK = {
    "expect_column_values_to_not_be_null": {"not_null"},
    "expect_column_values_to_be_in_set": {"accepted_values"},
    "expect_column_values_to_be_unique": {"unique"},
    "expect_column_values_to_be_between": {"value_between", "accepted_range"},
}


def suite(name: str):
    return load_suite_spec(EXPECTATIONS_DIR / f"{name}.json")


def failed(name: str, frame: pd.DataFrame) -> list[str]:
    outcome = validate_dataframe(suite(name), frame)
    return sorted(f"{f.expectation}:{f.column}" for f in outcome.failed)


def dbt_column_tests() -> set[tuple[str, str, str]]:
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    return {
        (node["attached_node"].split(".")[-1], node["column_name"], node["test_metadata"]["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node") and node.get("column_name")
        and node.get("test_metadata")
    }


def test_no_gx_expectation_repeats_a_dbt_test():
    dbt_tests = dbt_column_tests()
    repeated = []
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        spec = json.loads(path.read_text())
        model = spec["meta"]["dagster"]["table"].split(".")[-1]
        for expectation in spec["expectations"]:
            column = expectation["kwargs"].get("column")
            for dbt_test in SAME_CHECK.get(expectation["type"], ()):
                if (model, column, dbt_test) in dbt_tests:
                    repeated.append(f"{path.name}: {expectation['type']} {column} = dbt {dbt_test}")
    assert repeated == []


def test_no_threshold_only_an_empty_table_or_half_the_rows_could_break():
    """A row count of at least 1 only fires on an empty table (the relative checks are
    volume_vs_previous_extract and the gold/silver reconciliations); `mostly` of a half or less
    lets half the values go; vacancies and over-subscription are greatest(..., 0) by
    construction."""
    weak = []
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        for expectation in json.loads(path.read_text())["expectations"]:
            kwargs = expectation["kwargs"]
            if expectation["type"] == "expect_table_row_count_to_be_between" and \
                    kwargs.get("min_value", 0) <= 1 and kwargs.get("max_value") is None:
                weak.append(f"{path.name}: row count >= {kwargs.get('min_value')}")
            if kwargs.get("mostly", 1) <= 0.5:
                weak.append(f"{path.name}: {kwargs.get('column')} mostly {kwargs['mostly']}")
            if kwargs.get("column") in ("vacancies", "over_subscription"):
                weak.append(f"{path.name}: {kwargs['column']} (true by construction)")
    assert weak == []


def places(county_occupancy: float) -> pd.DataFrame:
    """gold.srp_places shaped rows: two schools (one 40% full, one 250% over) and the county."""
    rows = [
        ("school", "100001", "Primary", "ASD", 10, 4, 40.0),
        ("school", "100002", "Primary", "ASD", 4, 10, 250.0),
        ("county", "Kent", "All", "All", 100, round(county_occupancy), county_occupancy),
    ]
    return pd.DataFrame([
        {"level": level, "level_key": key, "academic_year": "2024/25", "phase": phase,
         "designation": designation, "commissioned_places": places, "pupils_on_roll": pupils,
         "occupancy_pct": occupancy, "urn": key if level == "school" else None}
        for level, key, phase, designation, places, pupils, occupancy in rows])


@pytest.mark.parametrize("occupancy", [10.0, 19.4, 86.4, 150.0])
def test_county_occupancy_between_a_tenth_and_one_and_a_half_full_passes(occupancy):
    # Kent (scale 1): 84.7-87.2; the scale-0.02 samples: from 19.4 (seed 42) and 30.3 (seed 7)
    assert failed("gold_srp_places", places(occupancy)) == []


@pytest.mark.parametrize("occupancy", [0.0, 9.9, 150.1, 180.0])
def test_county_occupancy_outside_a_tenth_to_one_and_a_half_fails(occupancy):
    """Schools can be far outside (a small unit 250% full): the county cannot, unless
    placements or register rows went missing (a lost resourced-provision flag: 0%)."""
    assert failed("gold_srp_places", places(occupancy)) == [
        "expect_column_values_to_be_between:occupancy_pct"]


def census_state(with_main_placement: int, holders: int = 100) -> pd.DataFrame:
    return pd.DataFrame([
        {"age": 10, "nc_year": 5, "is_male": int(i % 10 < 7), "has_primary_need": 1,
         "main_urn": "100001" if i < with_main_placement else None, "distance_km": 3.0}
        for i in range(holders)])


def test_three_quarters_of_holders_with_a_main_placement_passes():
    # scale 1: 0.757 in 2024/25; the small test sample: 0.758-0.907 from 2012/13
    assert failed("silver_census_state", census_state(76)) == []


def test_six_in_ten_holders_with_a_main_placement_fails():
    """The old threshold (mostly 0.5) let four in ten holders lose their placement unnoticed."""
    assert failed("silver_census_state", census_state(60)) == [
        "expect_column_values_to_not_be_null:main_urn"]
