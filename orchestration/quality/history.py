"""Data-quality history: every asset-check evaluation Dagster recorded, appended to the
warehouse table ``quality.check_history`` so the report and BI tools can show it.

Appending is idempotent and catches up: each call records the evaluations of every finished
run not yet in the table (the most recent runs first considered), whichever job ran them.
Runs are the unit because Dagster's default SQLite storage numbers events per run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

TABLE = "quality.check_history"

DDL = f"""
create schema if not exists quality;
create table if not exists {TABLE} (
    run_id varchar not null,
    event_index integer not null,
    asset_key varchar not null,
    check_name varchar not null,
    passed boolean not null,
    severity varchar not null,
    evaluated_at timestamp not null,
    counts varchar,  -- JSON object of the numeric metadata (counts, rows, failures)
    primary key (run_id, event_index)
);
"""


@dataclass(frozen=True)
class CheckEvaluation:
    run_id: str
    event_index: int
    asset_key: str
    check_name: str
    passed: bool
    severity: str
    evaluated_at: dt.datetime
    counts: dict


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def recorded_runs(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute(f"select distinct run_id from {TABLE}").fetchall()}


def numeric_metadata(metadata: dict) -> dict:
    """Only numbers: metadata may hold example values, which never leave the check."""
    out = {}
    for key, value in metadata.items():
        raw = getattr(value, "value", value)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            out[key] = raw
    return out


RECENT_RUNS = 200


def finished_runs(instance, limit: int = RECENT_RUNS) -> list[str]:
    import dagster as dg

    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
                      dg.DagsterRunStatus.CANCELED]
        ),
        limit=limit,
    )
    return [run.run_id for run in runs]


def evaluations_of_run(instance, run_id: str) -> list[CheckEvaluation]:
    import dagster as dg

    connection = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    )
    out = []
    for index, record in enumerate(connection.records):
        entry = record.event_log_entry
        data = entry.dagster_event.asset_check_evaluation_data
        out.append(
            CheckEvaluation(
                run_id=run_id,
                event_index=index,
                asset_key=data.asset_key.to_user_string(),
                check_name=data.check_name,
                passed=data.passed,
                severity=data.severity.value,
                evaluated_at=dt.datetime.fromtimestamp(entry.timestamp, dt.timezone.utc).replace(tzinfo=None),
                counts=numeric_metadata(dict(data.metadata)),
            )
        )
    return out


def append(con: duckdb.DuckDBPyConnection, evaluations: list[CheckEvaluation]) -> int:
    if not evaluations:
        return 0
    con.executemany(
        f"insert or ignore into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.run_id, e.event_index, e.asset_key, e.check_name, e.passed, e.severity,
             e.evaluated_at, json.dumps(e.counts, sort_keys=True))
            for e in evaluations
        ],
    )
    return len(evaluations)


def record_new_evaluations(con: duckdb.DuckDBPyConnection, instance) -> int:
    """Append the evaluations of finished runs not recorded yet; returns how many."""
    ensure_table(con)
    done = recorded_runs(con)
    added = 0
    for run_id in finished_runs(instance):
        if run_id not in done:
            added += append(con, evaluations_of_run(instance, run_id))
    return added
