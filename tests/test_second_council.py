"""A second council runs from configuration alone (issue 16 item 3): the small sample for East
Sussex (LA 845, councils/845-east-sussex.toml) goes through a real `make run` refresh process
with SEND_COUNCIL=845, and the report's title and areas, the gold tables' level keys and the DfE
comparators all follow the configuration (DfE rows of LA 845 and the South East, from the real
DfE file the sample lands). A broken council file stops the platform at start-up with an error
naming the file, key and rule."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import council
from orchestration.settings import SEEDS_DIR
from tests.conftest import REPO_ROOT, SMALL_SCALE, platform_env

EAST_SUSSEX = council.load(council.council_path("845"))
GOLD_TABLES = ("srp_places", "srp_finance", "srp_kpis", "srp_travel", "srp_demand_forecast",
               "phase_transfer_pathways", "ehcp_caseload_profile", "ehcp_placement_by_age",
               "ehcp_timeliness")
NOT_PLACES = {"Out of county", "Unknown"}


def _env(root: Path, landing: Path, selector: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SEND_PSEUDONYM_KEY"}
    env.update(platform_env(root, landing), SEND_COUNCIL=selector)
    return env


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> Path:
    """The data root of one refresh of East Sussex's small sample, run as `make run` runs it."""
    from orchestration.sample_data import generate

    root = tmp_path_factory.mktemp("east_sussex")
    landing = root / "landing"
    manifest = generate(landing, scale=SMALL_SCALE, seed=7, defects=False, council="845")
    assert manifest["council"] == "845"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.run_all", "--only", "refresh"],
        cwd=REPO_ROOT, env=_env(root, landing, "845"), capture_output=True, text=True, timeout=1500,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return root


def query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_reference_tables_are_the_configuration(refreshed):
    assert query(refreshed, "select la_code, la_name, full_name, region from reference.ref_council") == [
        ("845", "East Sussex", "East Sussex County Council", "South East")]
    assert query(refreshed, "select district, area, lad_code from reference.ref_districts order by all") == sorted(
        [(d.name, d.area, d.lad_code) for d in EAST_SUSSEX.districts] + [("Out of county", "Out of county", None)])
    assert query(refreshed, "select envelope_gbp from reference.ref_srp_envelope") == [(5_500_000,)]


@pytest.mark.parametrize("table", GOLD_TABLES)
def test_gold_level_keys_follow_the_configuration(refreshed, table):
    keys = dict(query(refreshed, f"select level, list(distinct level_key) from gold.{table}"
                                 " where level <> 'school' group by level"))
    assert keys["county"] == ["East Sussex"]
    assert set(keys["area"]) - NOT_PLACES and set(keys["area"]) - NOT_PLACES <= set(EAST_SUSSEX.areas)
    assert set(keys["district"]) - NOT_PLACES <= set(EAST_SUSSEX.district_names)


def test_every_district_has_its_place_and_the_sample_its_children(refreshed):
    homes = dict(query(refreshed, "select home_district, count(*) from silver.silver_person group by all"))
    assert set(EAST_SUSSEX.district_names) <= set(homes)
    assert set(homes) <= set(EAST_SUSSEX.district_names) | NOT_PLACES


def _dfe(level: str, column: str, value: str) -> dict[int, int | None]:
    """requests received (inreq_ehc) by year in the DfE file the sample lands (seeds/sen2_mi.csv)."""
    with (SEEDS_DIR / "sen2_mi.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["geographic_level"] == level and r[column] == value]
    return {int(r["time_period"]): int(r["inreq_ehc"]) if r["inreq_ehc"].isdigit() else None for r in rows}


def test_dfe_comparators_are_la_845_and_the_south_east(refreshed):
    la, region = _dfe("Local authority", "old_la_code", "845"), _dfe("Regional", "region_name", "South East")
    assert any(la.values()) and la != _dfe("Local authority", "old_la_code", "886")
    rows = query(refreshed, "select calendar_year, dfe_la_requests_received, dfe_region_requests_received"
                            " from gold.ehcp_timeliness where level = 'county'")
    assert rows and {y for y, *_ in rows} & set(la)
    for year, la_requests, region_requests in rows:
        assert (la_requests, region_requests) == (la.get(year), region.get(year)), year


def test_no_published_shares_without_any_configured(refreshed):
    assert query(refreshed, """select count(*) from gold.ehcp_caseload_profile where la_published_holders_pct
        is not null or la_published_requests_pct is not null or la_published_plans_issued_pct is not null""") == [(0,)]
    assert query(refreshed, "select count(*) from gold.ehcp_caseload_profile"
                            " where national_holders_pct is not null") != [(0,)]


@pytest.mark.parametrize("edition", ["public", "internal"])
def test_report_titles_areas_and_labels_follow_the_configuration(refreshed, edition):
    folder = refreshed / "report" / edition
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "East Sussex county overview |" in index
    assert "East Sussex County Council &middot;" in index
    assert "East Sussex (DfE)" in index and "South East (DfE)" in index
    pages = {p.name for p in folder.glob("*.html")}
    assert {p for p in pages if p.startswith("area-")} == {
        "area-coastal-east.html", "area-coastal-west.html", "area-rural-north.html"}
    assert {p for p in pages if p.startswith("district-")} == {
        f"district-{d.lower()}.html" for d in EAST_SUSSEX.district_names}
    district = (folder / "district-hastings.html").read_text(encoding="utf-8")
    assert '<a href="index.html">East Sussex</a>' in district
    assert '<a href="area-coastal-east.html">Coastal East</a>' in district
    assert not [p for p in sorted(folder.glob("*.html")) if "Kent" in p.read_text(encoding="utf-8")]


def test_a_broken_council_file_stops_the_platform_at_start_up(tmp_path):
    text = council.council_path("886").read_text(encoding="utf-8")
    broken = tmp_path / "999-broken.toml"
    broken.write_text(text.replace('name = "Gravesham"', 'name = "Dartford"'), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.run_all", "--only", "refresh"],
        cwd=REPO_ROOT, env=_env(tmp_path, tmp_path / "landing", str(broken)),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert f"{broken}: districts[1].name: 'Dartford' appears twice (rule duplicate_district)" in result.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()
