"""`make run`: materialise every asset once, in this process, into the warehouse, then print
where everything is. The runs are recorded in the persistent Dagster instance (see the UI).

What the daemon does on a schedule, in order: the nightly refresh, the check history (a
run-status sensor in production), and the school outbox when the refresh succeeded.
``--only refresh`` or ``--only outbox`` runs one of them (the benchmarks time them apart)."""

from __future__ import annotations

import argparse
import sys

import dagster as dg
import duckdb

from orchestration.instance import ensure_dagster_home
from orchestration.defs.quality.history import HISTORY_JOB_NAME
from orchestration.jobs import OUTBOX_JOB_NAME, REFRESH_JOB_NAME
from orchestration.settings import Paths


# The console shows INFO and above; every event is still in the instance (see the UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the platform's jobs once, in this process.")
    parser.add_argument("--only", choices=("refresh", "outbox"),
                        help="run only the nightly refresh (and its check history) or the outbox")
    only = parser.parse_args(argv).only
    home = ensure_dagster_home()
    from orchestration.definitions import defs

    paths = Paths.from_env()
    definitions = defs()

    def run(job_name: str):
        return definitions.resolve_job_def(job_name).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET
        )

    with dg.DagsterInstance.get() as instance:
        result = outbox = None
        if only != "outbox":
            result = run(REFRESH_JOB_NAME)
            # What the daemon's run-status sensors do after a scheduled run: record every check.
            run(HISTORY_JOB_NAME)
        if only == "outbox" or (only is None and result.success):
            outbox = run(OUTBOX_JOB_NAME)
    if result is None:
        print(f"outbox run {outbox.run_id}: {'succeeded' if outbox.success else 'FAILED'}")
        print(f"school outbox  : {paths.outbox}")
        return 0 if outbox.success else 1
    problems = failed_checks(result)
    print()
    print(f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    if outbox is not None:
        print(f"outbox run {outbox.run_id}: {'succeeded' if outbox.success else 'FAILED'}")
    for problem in problems:
        print(f"  check did not pass: {problem}")
    if paths.warehouse.exists():
        print("gold tables (rows):")
        for table, rows in gold_row_counts(paths.warehouse).items():
            print(f"  gold.{table:<32} {rows:>8}")
    print(f"landing folder : {paths.landing}")
    print(f"warehouse      : {paths.warehouse}")
    print(f"published gold : {paths.published}")
    print(f"report         : {paths.report}")
    print(f"school outbox  : {paths.outbox}")
    print(f"Dagster home   : {home}  (make ui, then http://127.0.0.1:3000)")
    return 0 if result.success and (outbox is None or outbox.success) else 1


if __name__ == "__main__":
    sys.exit(main())
