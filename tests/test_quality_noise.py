"""Checks that cried wolf or saw nothing (issue 14 item 10), run for real over a DuckDB
warehouse with the platform's own bronze schema:

* gx_bronze_return_submissions does not warn before the first return of a year arrives,
  and still warns when more than a fifth of a year's returns need correcting;
* the blank SRP designation check counts the ambiguous blanks exactly (a blank where the
  school's SRP has one designation is harmless);
* a missing dfe/sen2_mi.csv gives one warning naming the file and where to get it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.alerts.messages import safe_counts
from orchestration.defs.quality.dfe_statistics import dfe_statistics_landed
from orchestration.ingest import ensure_bronze_schema
from orchestration.ingest.dfe import ingest_dfe
from orchestration.quality.gx_suites import load_suite_spec, validate_table
from orchestration.resources import WarehouseResource
from orchestration.settings import EXPECTATIONS_DIR, SEEDS_DIR


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_bronze_schema(con)
    return path


def run_suite(name: str, warehouse: Path):
    return validate_table(load_suite_spec(EXPECTATIONS_DIR / f"{name}.json"), warehouse)


# --- gx_bronze_return_submissions -------------------------------------------------------

def add_returns(warehouse: Path, academic_year: str, statuses: list[str]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for i, status in enumerate(statuses):
            con.execute(
                "insert into bronze.return_submissions (_sha256, _academic_year, urn, status)"
                " values (?, ?, ?, ?)", [f"{academic_year}-{i}", academic_year, f"{118000 + i}", status])


def test_return_submissions_do_not_warn_before_the_first_return_arrives(warehouse):
    outcome = run_suite("bronze_return_submissions", warehouse)
    assert (outcome.success, outcome.rows, outcome.failed) == (True, 0, [])


def test_return_submissions_do_not_warn_for_a_year_without_returns_yet(warehouse):
    add_returns(warehouse, "2023/24", ["valid"] * 9 + ["invalid"])  # last year: 90% valid
    outcome = run_suite("bronze_return_submissions", warehouse)
    assert (outcome.success, outcome.rows) == (True, 10)


def test_return_submissions_warn_when_more_than_a_fifth_of_a_years_returns_need_correcting(warehouse):
    add_returns(warehouse, "2023/24", ["valid"] * 10)
    add_returns(warehouse, "2024/25", ["valid"] * 3 + ["invalid", "quarantined"])  # 60% valid
    outcome = run_suite("bronze_return_submissions", warehouse)
    assert not outcome.success
    [failure] = outcome.failed
    assert (failure.column, failure.unexpected_count) == ("year_valid_share", 5)  # that year's returns


# --- blank SRP designations -----------------------------------------------------------------

SINGLE, DOUBLE = "118001", "118002"  # an SRP with one designation; one with two (2024/25 only)


def build_placements(warehouse: Path, designated: int, blanks: list[tuple[str, dt.date, dt.date | None]]):
    """silver_srp: SINGLE has ASD in 2023/24 and 2024/25; DOUBLE has ASD in 2023/24 and ASD +
    SLCN in 2024/25. silver_placement: `designated` SRP placements with their designation at
    DOUBLE, then one SRP placement with a blank designation per (urn, entry, leaving)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema silver")
        con.execute("create table silver.silver_srp (urn varchar, designation varchar,"
                    " academic_year_start integer)")
        con.executemany("insert into silver.silver_srp values (?, ?, ?)", [
            (SINGLE, "ASD", 2023), (SINGLE, "ASD", 2024),
            (DOUBLE, "ASD", 2023), (DOUBLE, "ASD", 2024), (DOUBLE, "SLCN", 2024)])
        con.execute("create table silver.silver_placement (placement_key varchar, urn varchar,"
                    " placement_category varchar, is_resourced_provision boolean,"
                    " srp_designation varchar, entry_date date, leaving_date date, distance_km double)")
        rows = [(f"p{i}", DOUBLE, "Mainstream school", True, "ASD", dt.date(2024, 9, 1), None, 3.0)
                for i in range(designated)]
        rows += [(f"blank{i}", urn, "Mainstream school", True, None, entry, leaving, 3.0)
                 for i, (urn, entry, leaving) in enumerate(blanks)]
        con.executemany("insert into silver.silver_placement values (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def test_a_handful_of_ambiguous_blanks_is_counted_exactly(warehouse):
    """2 ambiguous blanks among 400 SRP placements (99.5% designated: `mostly 0.99` passed)."""
    build_placements(warehouse, 398, [
        (DOUBLE, dt.date(2024, 9, 2), None),  # open while DOUBLE has two designations
        (DOUBLE, dt.date(2023, 9, 4), dt.date(2024, 12, 20)),  # open into 2024/25
    ])
    outcome = run_suite("silver_placement", warehouse)
    assert not outcome.success
    [failure] = outcome.failed
    assert (failure.column, failure.unexpected_count) == ("srp_designation", 2)


def test_blanks_where_the_srp_has_one_designation_are_harmless(warehouse):
    """3 blanks among 30 (90% designated: `mostly 0.99` warned), none ambiguous: at SINGLE,
    and at DOUBLE only while it had one designation (left before 2024/25)."""
    build_placements(warehouse, 27, [
        (SINGLE, dt.date(2024, 9, 2), None),
        (SINGLE, dt.date(2023, 9, 4), None),
        (DOUBLE, dt.date(2023, 9, 4), dt.date(2024, 7, 19)),
    ])
    outcome = run_suite("silver_placement", warehouse)
    assert (outcome.success, outcome.failed) == (True, [])


# --- DfE statistics -------------------------------------------------------------------------

def evaluate_dfe_check(warehouse: Path) -> dg.AssetCheckResult:
    return dfe_statistics_landed(warehouse=WarehouseResource(path=str(warehouse)))


def test_a_missing_dfe_file_warns_once_naming_it_and_where_to_get_it(warehouse):
    result = evaluate_dfe_check(warehouse)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "dfe/sen2_mi.csv has not landed" in result.description
    assert "explore-education-statistics.service.gov.uk" in result.description
    assert "dfe_* columns of gold.ehcp_timeliness" in result.description
    metadata = {k: v.value for k, v in result.metadata.items()}
    assert metadata == {"dfe_statistics_rows": 0, "missing": "sen2_mi.csv", "landing_folder": "dfe"}
    assert safe_counts(metadata) == metadata  # the alert carries what is missing too
    assert [spec.blocking for spec in dfe_statistics_landed.check_specs] == [False]


def test_the_dfe_check_passes_once_the_file_has_landed(warehouse, tmp_path):
    landing = tmp_path / "landing"
    (landing / "dfe").mkdir(parents=True)
    shutil.copyfile(SEEDS_DIR / "sen2_mi.csv", landing / "dfe" / "sen2_mi.csv")
    with duckdb.connect(str(warehouse)) as con:
        ingest_dfe(con, landing, tmp_path / "archive")
        rows = con.execute("select count(*) from bronze.dfe_sen2_mi").fetchone()[0]
    result = evaluate_dfe_check(warehouse)
    assert result.passed and rows > 100
    assert {k: v.value for k, v in result.metadata.items()} == {"dfe_statistics_rows": rows}
