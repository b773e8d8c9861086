"""`make run`: materialise every asset once, in this process, into the warehouse, then print
where everything is. The runs are recorded in the persistent Dagster instance (see the UI).

What the daemon does on a schedule, in order: the nightly refresh, the check history (a
run-status sensor in production), and the school outbox when the refresh succeeded.
``--only refresh`` or ``--only outbox`` runs one of them (the benchmarks time them apart).

One refresh at a time (orchestration/run_lock.py): if another `make run` or a refresh the
daemon launched holds the warehouse, this prints ``a refresh is already running: run <id>,
pid <n>`` and exits with status 75 before loading anything. The runs carry this process's pid
(``send/worker_pid``) so the daemon's run monitor fails them if this process is killed.

The console shows one line per stage of each run with what it produced and its time
(orchestration/run_console.py, orchestration/run_log.py); every event, dbt's per-node lines
included, goes to ``data/logs/run-<id>.log``, whose path is printed first. It ends with the
files this run processed: one line on a clean night, else a row per file needing attention, the
top problems (file, row, column, rule; never values) and where to see them all."""

from __future__ import annotations

import argparse
import logging
import sys
import time

import dagster as dg
import duckdb
from dagster._core.utils import make_new_run_id

from orchestration.alerts.config import load_settings
from orchestration.alerts.messages import run_url
from orchestration.instance import ensure_dagster_home
from orchestration.defs.quality.history import HISTORY_JOB_NAME
from orchestration.ingest.registry import utc_now
from orchestration.jobs import OUTBOX_JOB_NAME, REFRESH_JOB_NAME
from orchestration.report import INTERNAL, PUBLIC, report_folder
from orchestration.run_console import (
    all_problems_sql,
    processed_files,
    render_file_summary,
    top_problems,
)
from orchestration.run_launcher import worker_tags
from orchestration.run_log import CONSOLE_QUIET, RunListener, log_path, open_log, output_to
from orchestration.run_lock import RefreshAlreadyRunning, hold_refresh_lock
from orchestration.settings import Paths


# Checks that did not pass named at the end of the console (the log and the UI have them all).
MAX_CHECK_LINES = 10
# Exit status when another refresh holds the lock (EX_TEMPFAIL: try again later).
EXIT_ALREADY_RUNNING = 75


def gold_row_counts(warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'gold' order by table_name"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from gold."{t}"').fetchone()[0] for t in tables}


def failed_checks(result) -> list[str]:
    return [
        f"{e.asset_check_evaluation_data.asset_key.to_user_string()}:"
        f"{e.asset_check_evaluation_data.check_name} ({e.asset_check_evaluation_data.severity.value})"
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.asset_check_evaluation_data.passed
    ]


def outbox_failures(result) -> list[str]:
    """Each workbook the outbox could not write (outbox-relative name: kind of error)."""
    lines = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            failed = event.materialization.metadata.get("failed_files")
            lines += [f"  not written: {name} ({why})" for name, why in
                      (failed.value if failed is not None else {}).items()]
    return lines


def file_summary(paths: Paths, started, refresh_run_id: str) -> list[str]:
    """The per-file outcome of this run (orchestration/run_console.py)."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        audit_tables = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'bronze'"
            " and table_name in ('file_registry', 'load_errors')"
        ).fetchall()[0][0]
        if audit_tables < 2:  # the run stopped before ingestion
            return []
        files = processed_files(con, started)
        problems, total = top_problems(con, started)
    see_all = [
        f"SQL (read-only, on {paths.warehouse}): {all_problems_sql(started)}",
        f"report, data-quality appendix: {report_index(paths, INTERNAL)}",
        f"Dagster UI (make ui): {run_url(load_settings().ui_base_url, refresh_run_id)}",
    ]
    return render_file_summary(files, problems, total, see_all)


def report_index(paths: Paths, audience: str):
    return report_folder(paths.report, audience) / "index.html"


def report_lines(paths: Paths) -> list[str]:
    """Where each edition of the report is (the last one written: a run whose release audit
    fails keeps the last good public report)."""
    editions = (
        ("public report  ", PUBLIC, "from the audited release: the one to share"),
        ("internal report", INTERNAL, "OFFICIAL-SENSITIVE: council staff only"),
    )
    lines = []
    for name, audience, what in editions:
        index = report_index(paths, audience)
        written = "" if index.exists() else "; not written yet"
        lines.append(f"{name}: {index}  ({what}{written})")
    return lines


def warnings_to(log) -> None:
    """Python warnings (deprecations and the like, from imports) go to the log, not the console."""
    logging.captureWarnings(True)
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s WARNING %(message)s"))
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.addHandler(handler)
    warnings_logger.propagate = False


def run_jobs(only: str | None, first_run_id: str, paths: Paths, log, console):
    """Load the definitions and run the jobs, a line per stage on ``console`` (every event and
    all other output in ``log``); returns the refresh's and the outbox's results."""
    loading = time.monotonic()
    from orchestration.definitions import defs

    definitions = defs()
    console.write(f"{'start-up':<19} {'definitions loaded':<62}{time.monotonic() - loading:7.1f} s\n")

    def run(job_name: str, run_id: str | None = None):
        run_id = run_id or make_new_run_id()
        hold_refresh_lock(paths.warehouse, run_id)  # this process holds it: records the run
        job = definitions.resolve_job_def(job_name)
        console.write(f"{job_name} (run {run_id}):\n")
        listener = RunListener(log, job, out=console)
        instance.add_event_listener(run_id, listener)
        try:
            return job.execute_in_process(
                instance=instance, raise_on_error=False, run_config=CONSOLE_QUIET, run_id=run_id,
                tags=worker_tags(),
            )
        finally:
            listener.finish()

    with dg.DagsterInstance.get() as instance:
        result = outbox = None
        if only != "outbox":
            result = run(REFRESH_JOB_NAME, first_run_id)
            # What the daemon's run-status sensors do after a scheduled run: record every check.
            run(HISTORY_JOB_NAME)
        if only == "outbox" or (only is None and result.success):
            outbox = run(OUTBOX_JOB_NAME, first_run_id if only == "outbox" else None)
    return result, outbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the platform's jobs once, in this process.")
    parser.add_argument("--only", choices=("refresh", "outbox"),
                        help="run only the nightly refresh (and its check history) or the outbox")
    only = parser.parse_args(argv).only
    home = ensure_dagster_home()
    paths = Paths.from_env()
    first_run_id = make_new_run_id()
    try:  # before anything is loaded or opened: a second `make run` stops here, in one line
        hold_refresh_lock(paths.warehouse, first_run_id)
    except RefreshAlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    started = utc_now()
    log_file = log_path(paths.data_root, first_run_id)
    print(f"log (every event, dbt's per-node lines): {log_file}")
    log = open_log(log_file)
    warnings_to(log)
    with output_to(log) as console:
        result, outbox = run_jobs(only, first_run_id, paths, log, console)
    if result is None:
        print(f"outbox run {outbox.run_id}: {'succeeded' if outbox.success else 'FAILED'}")
        print("\n".join(outbox_failures(outbox)) or "  every outbox workbook written")
        print(f"school outbox  : {paths.outbox}")
        return 0 if outbox.success else 1
    problems = failed_checks(result)
    print()
    print(f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    if outbox is not None:
        print(f"outbox run {outbox.run_id}: {'succeeded' if outbox.success else 'FAILED'}")
        print("\n".join(outbox_failures(outbox)) or "  every outbox workbook written")
    for problem in problems[:MAX_CHECK_LINES]:
        print(f"  check did not pass: {problem}")
    if len(problems) > MAX_CHECK_LINES:
        print(f"  ... and {len(problems) - MAX_CHECK_LINES} more checks that did not pass"
              " (the log and the UI list them all)")
    if paths.warehouse.exists():
        print("gold tables (rows):")
        for table, rows in gold_row_counts(paths.warehouse).items():
            print(f"  gold.{table:<32} {rows:>8}")
    print(f"landing folder : {paths.landing}")
    print(f"warehouse      : {paths.warehouse}")
    print(f"published gold : {paths.published}")
    print("\n".join(report_lines(paths)))
    print(f"school outbox  : {paths.outbox}")
    print(f"Dagster home   : {home}  (make ui, then http://127.0.0.1:3000)")
    if paths.warehouse.exists():  # last, so what went wrong is what the console ends with
        for line in file_summary(paths, started, result.run_id):
            print(line)
    return 0 if result.success and (outbox is None or outbox.success) else 1


if __name__ == "__main__":
    sys.exit(main())
