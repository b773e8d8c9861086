"""Data-quality history: every asset-check evaluation Dagster recorded, appended to the
warehouse table ``quality.check_history`` so the report and BI tools can show it.

Appending is idempotent and catches up: each call records the evaluations whose event storage
id is above the highest one already in the table, whichever runs they came from.
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
    storage_id bigint primary key,
    run_id varchar not null,
    asset_key varchar not null,
    check_name varchar not null,
    passed boolean not null,
    severity varchar not null,
    evaluated_at timestamp not null,
    counts varchar  -- JSON object of the numeric metadata (counts, rows, failures)
);
"""


@dataclass(frozen=True)
class CheckEvaluation:
    storage_id: int
    run_id: str
    asset_key: str
    check_name: str
    passed: bool
    severity: str
    evaluated_at: dt.datetime
    counts: dict


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def last_recorded(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select coalesce(max(storage_id), 0) from {TABLE}").fetchone()[0]


def numeric_metadata(metadata: dict) -> dict:
    """Only numbers: metadata may hold example values, which never leave the check."""
    out = {}
    for key, value in metadata.items():
        raw = getattr(value, "value", value)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            out[key] = raw
    return out


def evaluations_after(instance, after_storage_id: int) -> list[CheckEvaluation]:
    import dagster as dg

    records = instance.get_event_records(
        dg.EventRecordsFilter(
            event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            after_cursor=after_storage_id,
        ),
        ascending=True,
    )
    out = []
    for record in records:
        entry = record.event_log_entry
        data = entry.dagster_event.asset_check_evaluation_data
        out.append(
            CheckEvaluation(
                storage_id=record.storage_id,
                run_id=entry.run_id,
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
    con.executemany(
        f"insert or ignore into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.storage_id, e.run_id, e.asset_key, e.check_name, e.passed, e.severity,
             e.evaluated_at, json.dumps(e.counts, sort_keys=True))
            for e in evaluations
        ],
    )
    return len(evaluations)


def record_new_evaluations(con: duckdb.DuckDBPyConnection, instance) -> int:
    ensure_table(con)
    return append(con, evaluations_after(instance, last_recorded(con)))
