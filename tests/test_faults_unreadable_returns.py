"""Issue 12 item 1 (and item 3 for returns): an unreadable school return never blocks gold.

A full refresh of the small sample with two 0-byte workbooks in school_returns/2024-25/: one
named like the outbox's template for an SRP school in the register (a URN in the name), one
whose name carries no URN. The night succeeds and publishes; gold counts "received, not
readable" against the named school and its district, area and county; the other file is
listed in silver_unreadable_returns; a warning check fails, names both files, and the alert
sensor sends one alert that names them. Deleting the files makes the next night green.

The two files have the same bytes (both empty): neither is a duplicate of the other, since a
file is only a duplicate of one that LOADED. Unit tests below cover that rule on its own.
"""

from __future__ import annotations

import csv
import shutil

import dagster as dg
import duckdb
import pytest

from alert_receivers import alert_env, smtp_receiver, webhook_receiver  # noqa: F401
from ingest_corpus.builders import registry, rows
from conftest import refresh_platform
from test_ingest_returns import env, run  # noqa: F401 - the school-returns ingest fixture

YEAR_DIR = "school_returns/2024-25"
NO_URN_NAME = "scanned return.xlsx"
CHECK = ("silver/unreadable_returns", "no_unreadable_returns")


def register_urn(landing) -> str:
    """An SRP school in the 2024/25 register of the sample."""
    with open(landing / "srp_register" / "srp_register_2024-25.csv", encoding="utf-8-sig") as fh:
        return sorted(row["urn"] for row in csv.DictReader(fh))[0]


def query(warehouse, sql: str, *params):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def failed_checks(result) -> dict[tuple[str, str], object]:
    return {
        (e.asset_check_evaluation_data.asset_key.to_user_string(),
         e.asset_check_evaluation_data.check_name): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.asset_check_evaluation_data.passed
    }


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def night(small_landing, tmp_path_factory):
    """One refresh of the small sample with the two unreadable returns landed."""
    root = tmp_path_factory.mktemp("unreadable_returns")
    with refresh_platform(small_landing, root) as (landing, job, instance):
        urn = register_urn(landing)
        named = f"{YEAR_DIR}/{urn}_2024-25_SRP_return (2).xlsx"
        unnamed = f"{YEAR_DIR}/{NO_URN_NAME}"
        for name in (named, unnamed):
            (landing / name).write_bytes(b"")
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        yield {"root": root, "landing": landing, "warehouse": root / "warehouse.duckdb",
               "job": job, "instance": instance, "result": result, "urn": urn,
               "named": named, "unnamed": unnamed}


def test_the_night_succeeds_and_publishes_gold(night):
    result = night["result"]
    assert result.success
    built = materialized(result)
    assert {"gold/srp_returns_reconciliation", "report/internal_report",
            "publish/published_gold"} <= built
    published = query(night["root"] / "published" / "published.duckdb",
                       "select count(*) from gold.srp_returns_reconciliation "
                       "where level_key is null")
    assert published == [(0,)]


def test_gold_counts_the_named_file_against_its_school_and_roll_ups(night):
    warehouse, urn = night["warehouse"], night["urn"]
    [(district, area)] = query(
        warehouse, "select district, area from gold.srp_returns_reconciliation "
        "where level = 'school' and urn = ? and academic_year = '2024/25'", urn)
    found = dict(((level, key), n) for level, key, n in query(
        warehouse, "select level, level_key, returns_unreadable "
        "from gold.srp_returns_reconciliation where academic_year = '2024/25'"))
    expected = {("school", urn): 1, ("district", district): 1, ("area", area): 1,
                ("county", "Kent"): 1}
    assert {k: found[k] for k in expected} == expected
    assert sum(found.values()) == 4  # nothing else anywhere
    # received, not readable: the school is not "missing" a return
    [(received, missing)] = query(
        warehouse, "select returns_received, returns_missing from gold.srp_returns_reconciliation "
        "where level = 'school' and urn = ? and academic_year = '2024/25'", urn)
    assert received >= 2 and missing == 0


def test_quality_table_lists_both_files_and_the_unnamed_one_has_no_school(night):
    listed = query(night["warehouse"],
                   "select source_file, academic_year, urn, rule, reason "
                   "from silver.silver_unreadable_returns order by source_file")
    assert sorted(listed) == sorted([
        (night["named"], "2024/25", night["urn"], "empty_file", "the file is empty (0 bytes)"),
        (night["unnamed"], "2024/25", None, "empty_file", "the file is empty (0 bytes)"),
    ])


def test_both_quarantines_name_their_workbook_where_the_data_team_looks(night):
    warehouse = night["warehouse"]
    for name in (night["named"], night["unnamed"]):
        message = f"{name}: the file is empty"
        assert query(warehouse, "select status, reason from bronze.file_registry "
                     "where source_file = ?", name) == [("quarantined", message)]
        assert query(warehouse, "select rule, message from bronze.load_errors "
                     "where source_file = ?", name) == [("empty_file", message)]


def test_the_warning_check_fails_and_names_the_files(night):
    failed = failed_checks(night["result"])
    evaluation = failed[CHECK]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN and not evaluation.blocking
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert metadata["unreadable_returns"] == 2
    assert metadata["unreadable_returns_no_school"] == 1
    assert metadata["unreadable_return_files"] == "; ".join(
        sorted([night["named"], night["unnamed"]]))
    # nothing blocking failed: the night went on
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed.values())


def test_the_alert_names_the_files(night, alert_env, smtp_receiver, webhook_receiver):
    from orchestration.defs.alerts.sensors import check_alert_sensor

    check_alert_sensor(dg.build_sensor_context(instance=night["instance"]))
    smtp_receiver.wait_for(1)
    assert len(smtp_receiver.messages) == 1 and len(webhook_receiver.posts) == 1
    email = smtp_receiver.messages[0]
    body = email.get_body().get_content() if email.is_multipart() else email.get_payload()
    post = webhook_receiver.posts[0].json["text"]
    for text in (*CHECK, night["named"], night["unnamed"], night["result"].run_id):
        assert text in body and text in post


def test_after_the_files_are_deleted_the_next_night_is_green(night):
    """Runs last: it changes the shared warehouse."""
    for name in (night["named"], night["unnamed"]):
        (night["landing"] / name).unlink()
    result = night["job"].execute_in_process(instance=night["instance"], raise_on_error=False)
    assert result.success
    assert "gold/srp_returns_reconciliation" in materialized(result)  # rebuilt, not skipped
    evaluated = {
        (e.asset_check_evaluation_data.asset_key.to_user_string(),
         e.asset_check_evaluation_data.check_name)
        for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert CHECK in evaluated
    assert failed_checks(result) == {}
    warehouse = night["warehouse"]
    assert query(warehouse, "select count(*) from silver.silver_unreadable_returns") == [(0,)]
    assert query(warehouse, "select sum(returns_unreadable) "
                 "from gold.srp_returns_reconciliation") == [(0,)]
    assert sorted(query(warehouse, "select source_file, status from bronze.file_registry "
                        "where status = 'removed'")) == sorted(
        [(night["named"], "removed"), (night["unnamed"], "removed")])


# --- item 3 for returns: a file is only a duplicate of a file that LOADED ---------------------



def a_return_workbook(path) -> None:
    from orchestration.returns.model import SchoolReturn
    from orchestration.returns.template import write_return_workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    write_return_workbook(path, SchoolReturn(
        urn="118000", school_name="Sandgate Primary School", academic_year="2024/25",
        contact_role="SENCo"))


def statuses(con) -> dict[str, str]:
    return {r["source_file"]: r["status"] for r in registry(con)}


@pytest.mark.parametrize("same_night", [True, False], ids=["same-night", "next-night"])
def test_a_quarantined_copy_never_shadows_the_right_file(env, same_night):
    """The same workbook misfiled outside a year folder (quarantined for its place) and then
    filed in its year folder: the second loads, it is not 'a duplicate' of the first."""
    con, landing, _ = env
    misfiled, filed = "school_returns/sandgate.xlsx", f"{YEAR_DIR}/sandgate.xlsx"
    a_return_workbook(landing / misfiled)
    if not same_night:
        run(env)
        assert statuses(con) == {misfiled: "quarantined"}
    shutil.copyfile(landing / misfiled, landing / filed)
    run(env)
    assert statuses(con) == {misfiled: "quarantined", filed: "loaded"}
    assert sorted((s["_source_file"], s["status"], s["urn"]) for s in rows(
        con, "select * from bronze.return_submissions")) == sorted([
        (misfiled, "quarantined", None), (filed, "valid", "118000")])


def test_a_loaded_file_still_makes_its_copies_duplicates(env):
    con, landing, _ = env
    a_return_workbook(landing / YEAR_DIR / "a.xlsx")
    shutil.copyfile(landing / YEAR_DIR / "a.xlsx", landing / YEAR_DIR / "b.xlsx")
    summary = run(env)
    assert (summary.files_loaded, summary.files_duplicate) == (1, 1)
    assert statuses(con) == {f"{YEAR_DIR}/a.xlsx": "loaded", f"{YEAR_DIR}/b.xlsx": "duplicate"}


def test_a_removed_quarantined_file_is_registered_removed_and_back_when_relanded(env):
    con, landing, _ = env
    bad = landing / YEAR_DIR / "empty.xlsx"
    bad.write_bytes(b"")
    run(env)
    assert statuses(con) == {f"{YEAR_DIR}/empty.xlsx": "quarantined"}
    bad.unlink()
    run(env)
    assert statuses(con) == {f"{YEAR_DIR}/empty.xlsx": "removed"}
    bad.write_bytes(b"")
    summary = run(env)
    assert summary.files_unchanged == 1
    assert statuses(con) == {f"{YEAR_DIR}/empty.xlsx": "quarantined"}
    assert len(rows(con, "select * from bronze.return_submissions")) == 1


# --- what an alert may carry --------------------------------------------------------------------

def test_alerts_carry_return_file_names_and_nothing_else_free_text():
    from orchestration.alerts.messages import safe_counts
    from orchestration.quality.unreadable_returns import FILES_NAMED, check_metadata

    files = [(f"{YEAR_DIR}/{n:06d}_2024-25_SRP_return.xlsx", None) for n in range(12)]
    metadata = check_metadata(files)
    assert metadata["unreadable_return_files"].count("school_returns/") == FILES_NAMED == 10
    assert safe_counts(metadata) == metadata
    for unsafe in ({"unreadable_return_files": "Jane Smith, DOB 01/02/2015"},
                   {"unreadable_return_files": f"{YEAR_DIR}/a.xlsx; synergy/2025-10-01/person.csv"},
                   {"unreadable_return_files": f"{YEAR_DIR}/a\nxlsx"},
                   {"files": f"{YEAR_DIR}/a.xlsx"}):
        assert safe_counts(unsafe) == {}


def _quarantine_rules_in_code() -> set[str]:
    """The rule code (the last snake_case literal) of every ReturnStructureError(...) and
    refusal=(...) the reader, the guard and the workers can raise."""
    import inspect
    import re

    from orchestration.returns import guard, reader, workers

    found = set()
    for module in (reader, guard, workers):
        source = inspect.getsource(module)
        for start in re.finditer(r"ReturnStructureError\(|refusal=\(", source):
            depth, end = 1, start.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(source[end], 0)
                end += 1
            codes = re.findall(r'"([a-z]+(?:_[a-z]+)+)"', source[start.end():end])
            found.update(codes[-1:])
    return found


def test_every_quarantine_rule_has_a_problem_and_advice_in_the_reference_data():
    from orchestration.outbox.feedback import ADVICE, DEFAULT_ADVICE

    with open("seeds/ref_return_quarantine_rules.csv", newline="", encoding="utf-8") as handle:
        seeded = {row["rule"]: row for row in csv.DictReader(handle)}
    in_code = _quarantine_rules_in_code()
    assert len(in_code) >= 12, in_code
    assert in_code - {"unreadable"} <= set(seeded), in_code - set(seeded)
    for rule in in_code:
        assert seeded[rule]["problem"] and ADVICE.get(rule, DEFAULT_ADVICE) == seeded[rule]["advice"]
