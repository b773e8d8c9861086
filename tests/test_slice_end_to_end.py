"""The whole refresh at a small scale: landing -> bronze -> silver -> gold -> checks -> report
-> publication, twice (the second run is a no-change night), then a night with a planted defect.

Materialises every asset into a temporary warehouse and checks gold.srp_places against an
independent computation over the generated files (plain Python over the CSVs, no SQL). The
last test plants a broken Synergy extract and runs the real alert sensor against a real SMTP
server and a real webhook receiver on 127.0.0.1; it mutates the shared state, so it runs last.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from alert_receivers import alert_env, smtp_receiver, webhook_receiver  # noqa: F401
from orchestration import contract
from tests.conftest import refresh_platform
from tests.release_checks import assert_release_cannot_be_undone

YEAR = 2024  # 2024/25: census day 16 January 2025


@pytest.fixture(scope="module")
def refreshed(small_landing, tmp_path_factory):
    """Two full refreshes of a copy of the small sample into a fresh warehouse (the second is a
    no-change night), with the Dagster instance kept open for the tests."""
    root = tmp_path_factory.mktemp("platform")
    with refresh_platform(small_landing, root) as (landing, job, instance):
        first = job.execute_in_process(instance=instance, raise_on_error=False)
        counts_after_first = bronze_counts(root / "warehouse.duckdb")
        second = job.execute_in_process(instance=instance, raise_on_error=False)
        yield {
            "root": root,
            "warehouse": root / "warehouse.duckdb",
            "landing": landing,
            "job": job,
            "instance": instance,
            "first": first,
            "second": second,
            "bronze_after_first": counts_after_first,
        }


def bronze_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'bronze'"
        ).fetchall()]
        return {t: con.execute(f"select count(*) from bronze.{t}").fetchone()[0] for t in tables}


def query(warehouse: Path, sql: str, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def check_evaluations(result):
    return [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]


def test_refresh_succeeds_with_every_check_evaluated_and_passing(refreshed):
    result = refreshed["first"]
    assert result.success
    evaluations = check_evaluations(result)
    names = {e.check_name for e in evaluations}
    assert "gx_gold_srp_places" in names
    assert "registry_rows_balance" in names
    assert any(n.startswith("unique_") for n in names)  # dbt tests ran as checks
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []


def test_second_run_loads_nothing_new_and_skips_the_unchanged_build(refreshed):
    second = refreshed["second"]
    assert second.success
    assert bronze_counts(refreshed["warehouse"]) == refreshed["bronze_after_first"]
    rebuilt = {e.asset_key.to_user_string() for e in second.get_asset_materialization_events()}
    assert rebuilt and not any(k.startswith(("silver/", "gold/", "publish/")) for k in rebuilt)


# --- independent computation over the generated files ----------------------------------------

def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def uk_date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def latest_extract(landing: Path) -> Path:
    return sorted((landing / "synergy").iterdir())[-1]


def expected_srp_places(landing: Path, start_year: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(urn, designation) -> (commissioned places, pupils on roll on census day)."""
    label = contract.academic_year_label(start_year)
    register = read_csv(landing / "srp_register" / f"srp_register_{contract.academic_year_folder(start_year)}.csv")
    register = [r for r in register if r["academic_year"] == label]
    commissioned: dict[tuple[str, str], int] = defaultdict(int)
    designations: dict[str, set[str]] = defaultdict(set)
    for row in register:
        commissioned[(row["urn"], row["designation"].upper())] += int(row["commissioned_places"])
        designations[row["urn"]].add(row["designation"].upper())

    extract = latest_extract(landing)
    person_of_plan = {p["plan_id"]: p["person_id"] for p in read_csv(extract / "named_plan.csv")}
    census = contract.census_day(start_year)
    pupils: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pl in read_csv(extract / "placement.csv"):
        if pl["resourced_provision_indicator"].lower() not in contract.TRUE_FLAGS:
            continue
        if pl["urn"] not in designations:
            continue
        entry, leaving = uk_date(pl["entry_date"]), uk_date(pl["leaving_date"])
        if not (entry <= census and (leaving is None or leaving > census)):
            continue
        held = designations[pl["urn"]]
        designation = pl["srp_designation"].upper() or (next(iter(held)) if len(held) == 1 else "unknown")
        pupils[(pl["urn"], designation)].add(person_of_plan[pl["plan_id"]])
    keys = set(commissioned) | set(pupils)
    return {k: (commissioned.get(k, 0), len(pupils.get(k, ()))) for k in keys}


def test_srp_places_school_rows_match_independent_computation(refreshed):
    expected = expected_srp_places(refreshed["landing"], YEAR)
    rows = query(
        refreshed["warehouse"],
        "select urn, designation, commissioned_places, pupils_on_roll from gold.srp_places "
        "where level = 'school' and academic_year = ?",
        contract.academic_year_label(YEAR),
    )
    actual = {(urn, d): (c, p) for urn, d, c, p in rows}
    assert len(expected) >= 6
    assert sum(p for _, p in expected.values()) > 0
    assert actual == expected


def test_srp_places_county_totals_match_register(refreshed):
    for start_year in range(2020, 2025):
        expected = expected_srp_places(refreshed["landing"], start_year)
        county = query(
            refreshed["warehouse"],
            "select commissioned_places, pupils_on_roll from gold.srp_places where level = 'county' "
            "and phase = 'All' and designation = 'All' and academic_year = ?",
            contract.academic_year_label(start_year),
        )
        assert county == [(sum(c for c, _ in expected.values()), sum(p for _, p in expected.values()))]


def test_district_rollups_add_up_to_county(refreshed):
    rows = query(
        refreshed["warehouse"],
        """
        select academic_year, level, sum(commissioned_places), sum(pupils_on_roll)
        from gold.srp_places
        where level = 'school' or (phase = 'All' and designation = 'All')
        group by academic_year, level
        """,
    )
    by_year: dict[str, set] = defaultdict(set)
    for year, _level, places, pupils in rows:
        by_year[year].add((places, pupils))
    assert by_year and all(len(totals) == 1 for totals in by_year.values())


def test_each_nights_case_load_is_reconstructed_from_validity_ranges(refreshed):
    """silver_synergy_history rebuilds every night from one change-captured copy: its counts
    equal the rows of each night's files."""
    expected = []
    for night in sorted((refreshed["landing"] / "synergy").iterdir()):
        expected.append((
            dt.date.fromisoformat(night.name),
            len(read_csv(night / "person.csv")),
            len(read_csv(night / "placement.csv")),
            len(read_csv(night / "annual_review.csv")),
        ))
    rows = query(
        refreshed["warehouse"],
        "select extract_date, persons, placements, annual_reviews "
        "from silver.silver_synergy_history order by extract_date",
    )
    assert len(rows) == 2 and rows == expected


def test_every_warehouse_column_outside_bronze_is_documented(refreshed):
    from orchestration.dbt_project import DBT_PROJECT
    import json

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    documented = {
        (n["config"].get("schema") or "reference", n.get("alias") or n["name"]): set(n["columns"])
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed")
    }
    rows = query(
        refreshed["warehouse"],
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('silver', 'gold', 'reference')",
    )
    missing = sorted(
        f"{s}.{t}.{c}" for s, t, c in rows if c not in documented.get((s, t), set())
    )
    assert rows and missing == []


IDENTIFIER_COLUMNS = re.compile(
    r"^(upn|uln|forename|surname|first_name|last_name|date_of_birth|dob|postcode|"
    r"home_easting|home_northing|person_id)$"
)
UPN_VALUE = re.compile(r"^[A-Z][0-9]{12}$")


def test_no_identifiers_outside_bronze(refreshed):
    assert_no_identifiers(refreshed["warehouse"], refreshed["warehouse"])


def test_no_identifiers_in_the_published_file(refreshed):
    published = refreshed["root"] / "published" / "published.duckdb"
    assert published.exists()
    assert_no_identifiers(published, refreshed["warehouse"])


def test_published_release_never_reveals_a_hidden_count(refreshed):
    """Over the published file itself: the release cannot be undone (tests/release_checks.py)."""
    assert_release_cannot_be_undone(refreshed["root"] / "published" / "published.duckdb")


def assert_no_identifiers(database: Path, warehouse: Path) -> None:
    """No identifier-like column names, UPN-like values or surnames seen in bronze in any
    table of `database` outside bronze."""
    columns = query(
        database,
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_schema not in ('bronze', 'information_schema', 'pg_catalog')",
    )
    assert columns
    assert [c for c in columns if IDENTIFIER_COLUMNS.match(c[2])] == []
    surnames = {r[0] for r in query(warehouse, "select distinct surname from bronze.synergy_person where surname is not null")}
    assert surnames
    # a surname that is also vocabulary ('White' an ethnic group, 'Green' a RAG status) proves nothing
    vocabulary = {"Green", "Amber", "Red"} | {
        value
        for (table, column) in query(
            warehouse,
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'reference' and data_type = 'VARCHAR'",
        )
        for (value,) in query(warehouse, f'select distinct "{column}" from reference."{table}"')
    }
    surnames -= vocabulary
    for schema, table, column, data_type in columns:
        if data_type != "VARCHAR":
            continue
        values = {r[0] for r in query(database, f'select distinct "{column}" from {schema}."{table}" where "{column}" is not null')}
        assert not any(UPN_VALUE.match(v) for v in values), f"UPN-like value in {schema}.{table}.{column}"
        assert not (values & surnames), f"surname in {schema}.{table}.{column}"


# --- the night with a planted defect (runs last: it changes the shared warehouse) -------------

def test_the_outbox_job_follows_a_successful_refresh(refreshed):
    """The refresh does not write the outbox; its success starts the outbox job (the sensor),
    which writes a template per SRP school and feedback for every return received."""
    from orchestration.definitions import defs
    from orchestration.defs.outbox.sensors import outbox_after_refresh
    from orchestration.jobs import OUTBOX_JOB_NAME

    first = refreshed["first"]
    assert not any(e.asset_key.path[0] == "outbox" for e in first.get_asset_materialization_events())
    instance = refreshed["instance"]
    succeeded = next(e for e in first.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    request = outbox_after_refresh(dg.build_run_status_sensor_context(
        sensor_name="outbox_after_refresh", dagster_instance=instance,
        dagster_run=instance.get_run_by_id(first.run_id), dagster_event=succeeded))
    assert request.run_key == first.run_id

    outbox = defs().resolve_job_def(OUTBOX_JOB_NAME).execute_in_process(instance=instance)
    assert outbox.success
    written = {e.asset_key.to_user_string(): e.materialization.metadata["files_written"].value
               for e in outbox.get_asset_materialization_events()}
    returns = list((refreshed["landing"] / "school_returns").rglob("*.xlsx"))
    assert written["outbox/return_feedback"] == len(returns) > 0
    assert written["outbox/return_templates"] > 0
    feedback = list((refreshed["root"] / "outbox" / "feedback").rglob("*_feedback.xlsx"))
    assert len(feedback) == len(returns)


BI_READER = textwrap.dedent(
    """
    import json, sys, pathlib, duckdb
    published, stop, ready = (pathlib.Path(a) for a in sys.argv[1:4])
    reads, errors, stopping = [], [], False
    while not stopping:
        stopping = stop.exists()  # one more read after the signal: it sees the last version
        try:
            with duckdb.connect(str(published / "published.duckdb"), read_only=True) as con:
                version = con.execute("select version from meta.publication").fetchone()[0]
                rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                        for t in ("gold.srp_places", "gold.ehcp_caseload_profile",
                                  "external.srp_places")}
            reads.append({"version": version, "rows": rows})
            ready.touch()
        except Exception as error:
            errors.append(repr(error))
    print(json.dumps({"reads": reads, "errors": errors}))
    """
)


def test_bi_reader_sees_whole_versions_throughout_a_full_refresh(refreshed, tmp_path):
    """A BI process queries the published file in a loop while a forced full refresh (every
    dbt model rebuilt, then published) runs: it never fails and never sees a mix."""
    from orchestration.defs.transform.dbt_assets import FORCE_TAG
    from orchestration.publish.publisher import read_manifest

    published = refreshed["root"] / "published"
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    reader = subprocess.Popen([sys.executable, "-c", BI_READER, str(published), str(stop),
                               str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if reader.poll() is not None or time.monotonic() > deadline:
                reader.kill()  # a reader that never read must not hang the suite
                out, err = reader.communicate(timeout=30)
                pytest.fail(f"the BI reader read no published version in 60 s: {out[-1000:]} {err[-1000:]}")
            time.sleep(0.05)
        result = refreshed["job"].execute_in_process(
            instance=refreshed["instance"], raise_on_error=False, tags={FORCE_TAG: "true"})
        stop.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert result.success
    # the build started from the parse state this warehouse's last build kept (dbt_target.py)
    from orchestration.dbt_project import DBT_PROJECT

    target = Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path
    (build_folder,) = target.glob(f"send_dbt_models-{result.run_id[:7]}-*")
    assert "Unable to do partial parsing" not in (build_folder / "dbt.log").read_text()
    assert reader.returncode == 0, err
    seen = json.loads(out)
    assert seen["errors"] == []
    versions = {read["version"] for read in seen["reads"]}
    assert len(versions) == 2, versions  # the version before the refresh, then the new one
    for read in seen["reads"]:
        tables = read_manifest(published, read["version"])["tables"]
        assert read["rows"] == {t: tables[t]["rows"] for t in read["rows"]}


def plant_half_missing_placements(landing: Path) -> str:
    """A new, complete extract for the next night in which half the placements are missing."""
    latest = latest_extract(landing)
    night = (dt.date.fromisoformat(latest.name) + dt.timedelta(days=1)).isoformat()
    broken = landing / "synergy" / night
    shutil.copytree(latest, broken)
    (broken / "_SUCCESS").unlink()
    lines = (broken / "placement.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (broken / "placement.csv").write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), encoding="utf-8")
    (broken / "_SUCCESS").write_text("")
    return night


def gold_snapshot(warehouse: Path) -> list:
    return query(warehouse, "select * from gold.srp_places order by all")


def tick_alert_sensor(instance, cursor: str | None = None) -> str | None:
    """One sensor evaluation as the daemon does it; returns the cursor the daemon would keep."""
    from orchestration.defs.alerts.sensors import check_alert_sensor

    result = check_alert_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    return result.cursor if result.cursor is not None else cursor


def test_planted_defect_stops_gold_and_alerts_once(refreshed, alert_env, smtp_receiver, webhook_receiver):
    instance = refreshed["instance"]
    # clean nights: no alert
    cursor = tick_alert_sensor(instance)
    assert smtp_receiver.messages == [] and webhook_receiver.posts == []

    gold_before = gold_snapshot(refreshed["warehouse"])
    plant_half_missing_placements(refreshed["landing"])
    result = refreshed["job"].execute_in_process(instance=instance, raise_on_error=False)

    assert not result.success
    failed = [
        (e.asset_key.to_user_string(), e.check_name)
        for e in check_evaluations(result) if not e.passed
    ]
    assert failed == [("bronze/synergy_placement", "volume_vs_previous_extract")]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "bronze/synergy_placement" in materialized
    assert not any(k.startswith(("silver/", "gold/", "report/", "publish/")) for k in materialized)
    assert gold_snapshot(refreshed["warehouse"]) == gold_before

    cursor = tick_alert_sensor(instance, cursor)
    smtp_receiver.wait_for(1)
    assert len(smtp_receiver.messages) == 1
    assert len(webhook_receiver.posts) == 1
    email = smtp_receiver.messages[0]
    body = email.get_body().get_content() if email.is_multipart() else email.get_payload()
    for text in ("bronze/synergy_placement", "volume_vs_previous_extract", result.run_id):
        assert text in body
    post = webhook_receiver.posts[0].json
    assert "bronze/synergy_placement" in post["text"] and "volume_vs_previous_extract" in post["text"]
    # the same evaluation is never alerted twice
    tick_alert_sensor(instance, cursor)
    assert len(smtp_receiver.messages) == 1 and len(webhook_receiver.posts) == 1
