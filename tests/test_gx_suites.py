"""Great Expectations suites: every file in expectations/ loads strictly, maps to an asset
check, and a failing table yields counts without values of identifier columns."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration.quality.gx_suites import (
    SuiteError, build_suite, load_suite_spec, load_suite_specs, validate_dataframe,
)
from orchestration.settings import EXPECTATIONS_DIR


def write_suite(path, expectations, severity="error"):
    path.write_text(json.dumps({
        "name": "test_suite",
        "meta": {"dagster": {"asset_key": ["gold", "t"], "table": "gold.t", "severity": severity}},
        "expectations": expectations,
    }))
    return path


def test_every_suite_in_the_repository_loads_every_expectation():
    specs = load_suite_specs(EXPECTATIONS_DIR)
    assert len(specs) == len(list(EXPECTATIONS_DIR.glob("*.json"))) >= 9
    for spec in specs:
        suite = build_suite(spec)
        assert len(suite.expectations) == len(spec.expectations), spec.name
    layers = {spec.asset_key[0] for spec in specs}
    assert layers == {"bronze", "silver", "gold"}


def test_an_unknown_expectation_type_fails_loudly(tmp_path):
    spec = load_suite_spec(write_suite(tmp_path / "s.json", [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}},
    ]))
    with pytest.raises(SuiteError, match="could not load 1 expectation.*expect_column_values_to_be_purple"):
        build_suite(spec)


def test_a_suite_without_dagster_meta_is_rejected(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "x", "expectations": [{"type": "t", "kwargs": {}}]}))
    with pytest.raises(SuiteError, match="missing: asset_key, table, severity"):
        load_suite_spec(path)


def test_failures_report_counts_and_examples(tmp_path):
    spec = load_suite_spec(write_suite(tmp_path / "s.json", [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "places", "min_value": 0}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "level"}},
    ]))
    frame = pd.DataFrame({"places": [3, -1, -12, 4], "level": ["a", "b", "c", "d"]})
    outcome = validate_dataframe(spec, frame)
    assert not outcome.success
    assert (outcome.rows, outcome.evaluated) == (4, 2)
    [failure] = outcome.failed
    assert failure.expectation == "expect_column_values_to_be_between"
    assert (failure.column, failure.unexpected_count, failure.unexpected_percent) == ("places", 2, 50.0)
    assert sorted(failure.examples) == [-12, -1]
    assert outcome.metadata()["expectations_failed"] == 1


def test_values_of_identifier_columns_never_appear_in_results(tmp_path):
    spec = load_suite_spec(write_suite(tmp_path / "s.json", [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "upn", "regex": "^[A-Z][0-9]{12}$"}},
    ]))
    outcome = validate_dataframe(spec, pd.DataFrame({"upn": ["A886123456789", "bad-upn"]}))
    [failure] = outcome.failed
    assert failure.unexpected_count == 1
    assert failure.examples == []
    assert "bad-upn" not in json.dumps(outcome.metadata())
