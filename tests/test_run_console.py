"""`make run` at the console (issue 12 items 5 and 12).

* The per-file outcome table and top problems, built from a real DuckDB warehouse holding
  registry and load-error rows written by the ingestion code's own ``register_many``.
* Two refreshes at once: two real `python -m orchestration.run_all` processes on one data
  root; the second stops at once with one line naming the first's run and pid.
"""

from __future__ import annotations

import datetime as dt
import os
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


def test_two_make_runs_at_once_the_second_stops_with_one_line(small_landing, tmp_path):
    env = {**os.environ, **platform_env(tmp_path / "data", small_landing)}
    env.pop("SEND_PSEUDONYM_KEY", None)
    first = subprocess.Popen([sys.executable, "-m", "orchestration.run_all"], cwd=REPO_ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        warehouse = Path(env["SEND_WAREHOUSE_PATH"])
        run_id = wait_for_holder(warehouse, first)

        second = subprocess.run([sys.executable, "-m", "orchestration.run_all"], cwd=REPO_ROOT,
                                env=env, capture_output=True, text=True, timeout=120)

        assert second.returncode == 75
        assert second.stdout == ""
        assert second.stderr == f"a refresh is already running: run {run_id}, pid {first.pid}\n"
        first_output, _ = first.communicate(timeout=900)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, first_output[-3000:]
    assert f"run {run_id}: succeeded" in first_output
    assert "Traceback" not in first_output
    assert "files processed this run" in first_output or "files loaded, no problems" in first_output


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
