"""`make run` at the console (issue 12 items 5 and 12).

* The per-file outcome table and top problems, built from a real DuckDB warehouse holding
  registry and load-error rows written by the ingestion code's own ``register_many``.
* Two refreshes at once: two real `python -m orchestration.run_all` processes on one data
  root; the second stops at once with one line naming the first's run and pid.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.files import LandedFile
from orchestration.ingest.registry import ERROR, WARNING, FileOutcome, Problem, register_many
from orchestration.ingest.schema import ensure_bronze_schema
from orchestration.run_console import (
    Stage,
    StageConsole,
    all_problems_sql,
    processed_files,
    render_file_summary,
    top_problems,
)
from orchestration.run_lock import (
    RefreshAlreadyRunning,
    hold_refresh_lock,
    lock_path,
    read_holder,
    release_refresh_lock,
)
from conftest import REPO_ROOT, platform_env

RUN_START = dt.datetime(2026, 12, 1, 2, 0, 0)
PERSONAL_VALUE = "A123456789012"  # a UPN-shaped value: must never reach the console


def landed(source_file: str, sha: str) -> LandedFile:
    return LandedFile(path=Path("/landing") / source_file, source_file=source_file, sha256=sha,
                      size_bytes=100)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_bronze_schema(connection)
    yesterday = RUN_START - dt.timedelta(days=1)
    register_many(connection, [  # an earlier night: never in tonight's summary
        FileOutcome("gias", landed("gias/edubase_20261130.csv", "g0"), "loaded",
                    rows_landed=40, rows_loaded=39, rows_rejected=1,
                    problems=[Problem("urn_format", "bad URN", 7, "URN", "x")]),
    ], yesterday)
    yield connection
    connection.close()


def night_with_problems(con) -> None:
    upn_problem = Problem("upn_check_letter", "UPN check letter is wrong", 12, "upn",
                          PERSONAL_VALUE, personal=True)
    register_many(con, [
        FileOutcome("synergy", landed("synergy/2026-12-01/person.csv", "p1"), "loaded",
                    rows_landed=100, rows_loaded=97, rows_rejected=3,
                    problems=[upn_problem,
                              Problem("upn_check_letter", "UPN check letter is wrong", 40,
                                      "upn", PERSONAL_VALUE, personal=True),
                              Problem("date_format", "not a date", 51, "dob", "31/02/2014",
                                      personal=True),
                              Problem("postcode_format", "postcode looks wrong", 60,
                                      "postcode", "ZZ1 1ZZ", severity=WARNING)]),
        FileOutcome("synergy", landed("synergy/2026-12-01/plan.csv", "p2"), "loaded",
                    rows_landed=50, rows_loaded=50),
        FileOutcome("school_returns", landed("school_returns/2025-26/broken.xlsx", "r1"),
                    "quarantined", reason="not a workbook",
                    problems=[Problem("workbook_unreadable", "not a workbook", severity=ERROR)]),
        FileOutcome("srp_register", landed("srp_register/srp_register_2025-26 (1).csv", "s1"),
                    "duplicate"),
    ], RUN_START + dt.timedelta(seconds=30))


def test_outcome_table_lists_this_runs_files_with_counts_problems_first(con):
    night_with_problems(con)

    files = processed_files(con, RUN_START)

    assert [(f.file, f.status, f.rows_loaded, f.rows_rejected, f.errors, f.warnings)
            for f in files] == [
        ("school_returns/2025-26/broken.xlsx", "quarantined", 0, 0, 1, 0),
        ("srp_register/srp_register_2025-26 (1).csv", "duplicate", 0, 0, 0, 0),
        ("synergy/2026-12-01/person.csv", "loaded", 97, 3, 3, 1),
        ("synergy/2026-12-01/plan.csv", "loaded", 50, 0, 0, 0),
    ]


def test_top_problems_group_rows_by_rule_errors_first_and_never_show_values(con):
    night_with_problems(con)

    problems, total = top_problems(con, RUN_START, limit=3)
    lines = render_file_summary(processed_files(con, RUN_START), problems, total,
                                [all_problems_sql(RUN_START)])
    text = "\n".join(lines)

    assert total == 4
    assert [(p.file, p.first_row, p.rows, p.column, p.rule, p.severity) for p in problems] == [
        ("synergy/2026-12-01/person.csv", 12, 2, "upn", "upn_check_letter", "error"),
        ("school_returns/2025-26/broken.xlsx", None, 1, None, "workbook_unreadable", "error"),
        ("synergy/2026-12-01/person.csv", 51, 1, "dob", "date_format", "error"),
    ]
    assert "top problems (3 of 4; values are never shown):" in lines
    assert "  error   synergy/2026-12-01/person.csv, row 12 (+1 more), column upn: upn_check_letter" in lines
    assert "  error   school_returns/2025-26/broken.xlsx: workbook_unreadable" in lines
    assert lines[:6] == [
        "files processed this run: 4 (3 need attention)",
        "  file                                                         status        loaded"
        " rejected  errors warnings",
        "  school_returns/2025-26/broken.xlsx                           quarantined        0"
        "        0       1        0",
        "  srp_register/srp_register_2025-26 (1).csv                    duplicate          0"
        "        0       0        0",
        "  synergy/2026-12-01/person.csv                                loaded            97"
        "        3       3        1",
        "  (1 other file, no problems)                                  loaded            50"
        "        0       0        0",
    ]
    assert lines[-2:] == ["see them all:", f"  {all_problems_sql(RUN_START)}"]
    for secret in (PERSONAL_VALUE, "31/02/2014", "ZZ1 1ZZ", "UPN check letter is wrong"):
        assert secret not in text
    assert "urn_format" not in text  # last night's problem


def test_all_problems_sql_runs_and_finds_every_problem_of_the_run(con):
    night_with_problems(con)

    rows = con.execute(all_problems_sql(RUN_START)).fetchall()

    assert len(rows) == 5


def test_a_clean_night_is_one_line(con):
    register_many(con, [
        FileOutcome("synergy", landed(f"synergy/2026-12-01/{name}.csv", name), "loaded",
                    rows_landed=10, rows_loaded=10)
        for name in ("person", "plan", "placement")
    ], RUN_START + dt.timedelta(seconds=5))

    files = processed_files(con, RUN_START)
    problems, total = top_problems(con, RUN_START)

    assert render_file_summary(files, problems, total, ["unused"]) == [
        "files: 3 files loaded, no problems"]


def test_a_night_with_nothing_new_is_one_line(con):
    assert render_file_summary(processed_files(con, RUN_START), *top_problems(con, RUN_START),
                               ["unused"]) == ["files: nothing new landed, no problems"]


# ---------------------------------------------------------------- one line per stage


def stage_line(label: str, text: str, seconds: float | None) -> str:
    timing = f"{seconds:7.1f} s" if seconds is not None else "      - "
    return f"{label:<19} {text:<62}{timing}"


def test_each_stage_is_one_line_with_what_it_did_and_its_time_in_stage_order():
    out = io.StringIO()
    console = StageConsole([Stage("report", {"report"}, 1), Stage("dbt build", {"dbt"}, 4),
                            Stage("ingest", {"ingest_a", "ingest_b"}, 3)], out=out, live=False)
    console.step_started("ingest_a", 100.0)
    console.materialized("ingest_a")
    console.step_ended("ingest_a", 101.0, "success")
    assert out.getvalue() == ""  # the stage is not over until its last step is
    console.step_started("ingest_b", 101.0)
    console.materialized("ingest_b")
    console.materialized("ingest_b")
    console.step_ended("ingest_b", 103.5, "success")
    console.step_started("dbt", 104.0)
    console.observed_unchanged("dbt")
    console.check_evaluated("dbt", True)
    console.check_evaluated("dbt", False)
    console.step_ended("dbt", 105.25, "success")
    console.step_ended("report", 106.0, "skipped")
    console.finish()

    assert out.getvalue().splitlines() == [
        stage_line("ingest", "3 assets built", 3.5),
        stage_line("dbt build", "1 asset unchanged, 1/2 checks passed", 1.25),
        stage_line("report", "skipped: its inputs are unchanged, last outputs kept", None),
    ]


def test_a_failed_step_is_named_under_its_stage_and_stages_never_reached_say_so():
    out = io.StringIO()
    console = StageConsole([Stage("ingest", {"ingest_a"}, 1), Stage("publish", {"publish"}, 1)],
                           out=out, live=False)
    console.step_started("ingest_a", 10.0)
    console.step_ended("ingest_a", 12.0, "failure", "nothing was ingested: no pseudonym key")
    console.finish()

    assert out.getvalue().splitlines() == [
        stage_line("ingest", "1 FAILED", 2.0),
        f"{'':<19}   failed: ingest_a: nothing was ingested: no pseudonym key",
        stage_line("publish", "not run (the run stopped before it)", None),
    ]


def test_on_a_terminal_the_running_stage_is_redrawn_as_a_progress_bar():
    out = io.StringIO()
    console = StageConsole([Stage("dbt build", {"dbt"}, 4)], out=out, live=True)
    console.step_started("dbt", 0.0)
    console.materialized("dbt")
    console.check_evaluated("dbt", True)
    console.step_ended("dbt", 2.0, "success")

    text = out.getvalue()
    assert "\rdbt build           [############............] 2/4" in text
    assert text.count("\n") == 1 and text.endswith(
        "\r\033[K" + stage_line("dbt build", "1 asset built, 1/1 checks passed", 2.0) + "\n")


# ---------------------------------------------------------------- the refresh lock


def test_lock_is_reentrant_in_one_process_and_names_its_holder(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    try:
        hold_refresh_lock(warehouse, "run-one")
        hold_refresh_lock(warehouse, "run-two")  # same process: records the new run

        assert read_holder(lock_path(warehouse)) == ("run-two", str(os.getpid()))
    finally:
        release_refresh_lock(warehouse)


HOLDER = """
import sys, time
from orchestration.run_lock import hold_refresh_lock
hold_refresh_lock(sys.argv[1], "run-held")
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_process_is_refused_and_a_dead_holder_frees_the_lock(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse)], cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RefreshAlreadyRunning) as refused:
            hold_refresh_lock(warehouse, "mine")
        assert str(refused.value) == f"a refresh is already running: run run-held, pid {holder.pid}"

        holder.kill()  # kill -9: the kernel drops the lock with the process
        holder.wait(timeout=10)
        assert hold_refresh_lock(warehouse, "mine") == lock_path(warehouse)
    finally:
        release_refresh_lock(warehouse)
        if holder.poll() is None:
            holder.kill()
            holder.wait()


@pytest.fixture(scope="module")
def two_make_runs(small_landing, tmp_path_factory):
    """A real `make run` (``python -m orchestration.run_all``) on the small sample, and a second
    one started while the first holds the refresh lock."""
    root = tmp_path_factory.mktemp("make_run")
    env = {**os.environ, **platform_env(root / "data", small_landing)}
    env.pop("SEND_PSEUDONYM_KEY", None)
    first = subprocess.Popen([sys.executable, "-m", "orchestration.run_all"], cwd=REPO_ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        warehouse = Path(env["SEND_WAREHOUSE_PATH"])
        run_id = wait_for_holder(warehouse, first)

        second = subprocess.run([sys.executable, "-m", "orchestration.run_all"], cwd=REPO_ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        first_output, _ = first.communicate(timeout=900)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    return {"root": root / "data", "run_id": run_id, "first": first, "output": first_output,
            "second": second}


def test_two_make_runs_at_once_the_second_stops_with_one_line(two_make_runs):
    first, second, run_id = two_make_runs["first"], two_make_runs["second"], two_make_runs["run_id"]
    first_output = two_make_runs["output"]

    assert second.returncode == 75
    assert second.stdout == ""
    assert second.stderr == f"a refresh is already running: run {run_id}, pid {first.pid}\n"
    assert first.returncode == 0, first_output[-3000:]
    assert f"run {run_id}: succeeded" in first_output
    assert "Traceback" not in first_output
    assert "files processed this run" in first_output or "files loaded, no problems" in first_output


STAGES = ("start-up", "ingest", "bronze checks", "dbt build", "quality checks",
          "disclosure release", "report", "publish", "check history", "school outbox")


def test_make_run_prints_a_line_per_stage_and_logs_every_event(two_make_runs):
    lines = two_make_runs["output"].splitlines()
    log = two_make_runs["root"] / "logs" / f"run-{two_make_runs['run_id']}.log"

    assert len(lines) <= 120, "\n".join(lines)
    assert lines[0] == f"log (every event, dbt's per-node lines): {log}"
    stage_lines = {m.group(1): line for line in lines
                   if (m := re.match(r"(.+?) {2,}", line)) and m.group(1) in STAGES}
    assert set(stage_lines) == set(STAGES), "\n".join(lines)
    assert re.search(r"dbt build +\d+ assets built, (\d+)/\1 checks passed +\d+\.\d s$",
                     stage_lines["dbt build"]), stage_lines["dbt build"]
    detail = log.read_text()
    dbt_node_lines = [line for line in detail.splitlines() if " OK created " in line]
    assert len(dbt_node_lines) > 20  # dbt's per-node lines are in the log ...
    assert not any(" OK created " in line for line in lines)  # ... not on the console
    assert "STEP_SUCCESS" in detail and "ASSET_CHECK_EVALUATION" in detail


def wait_for_holder(warehouse: Path, process: subprocess.Popen, timeout: float = 120) -> str:
    """The run id the first `make run` wrote into the lock file, once it holds the lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the first run ended before taking the lock"
        if lock_path(warehouse).exists():
            run_id, pid = read_holder(lock_path(warehouse))
            if pid == str(process.pid):
                return run_id
        time.sleep(0.2)
    raise AssertionError("the first run never took the refresh lock")
