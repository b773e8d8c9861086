"""An alert when no refresh has succeeded for more than a day.

The failure alerts cover runs that fail; this covers the nights when nothing runs at all (the
daemon is down, the schedule was switched off, every run was cancelled or is stuck queued).
``refresh_staleness_sensor`` compares the end of the newest successful ``nightly_refresh``
with the threshold ``STALE_AFTER_SECONDS`` (24 h; ``SEND_REFRESH_STALE_AFTER_S`` overrides it).
"More than" is strict: a refresh that ended exactly the threshold ago is not yet stale.

It alerts once per stale episode, not on every tick. An episode is named by the last success
it follows (its run id, or ``none`` before the first success ever, counted from the sensor's
first tick). Cursor (JSON)::

    {"version": 1, "watching_since": <unix seconds>, "alerted_episode": "<run id>" | null}

A new success ends the episode, so a later staleness alerts again. If every channel fails the
episode is not marked, and the next tick tries again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from orchestration.alerts.config import AlertSettings, load_settings
from orchestration.alerts.messages import ERROR, Alert, run_url
from orchestration.alerts.senders import deliver
from orchestration.jobs import REFRESH_JOB_NAME

logger = logging.getLogger("orchestration.alerts")

STALE_AFTER_SECONDS = 24 * 60 * 60
STALE_AFTER_ENV = "SEND_REFRESH_STALE_AFTER_S"
SENSOR_INTERVAL_SECONDS = 300
SEND_OPTIONS = {"attempts": 3, "timeout": 10.0, "backoff_seconds": 1.0}
NO_SUCCESS = "none"


def stale_after_seconds() -> float:
    value = os.environ.get(STALE_AFTER_ENV, "").strip()
    return float(value) if value else float(STALE_AFTER_SECONDS)


@dataclass(frozen=True)
class LastSuccess:
    run_id: str
    ended_at: float


def last_successful_refresh(instance: dg.DagsterInstance) -> LastSuccess | None:
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME, statuses=[dg.DagsterRunStatus.SUCCESS]),
        limit=1,
    )
    if not records:
        return None
    record = records[0]
    ended = record.end_time if record.end_time is not None else record.update_timestamp.timestamp()
    return LastSuccess(record.dagster_run.run_id, ended)


@dataclass
class StalenessOutcome:
    cursor: str
    alert: Alert | None
    note: str


def evaluate_staleness(
    instance: dg.DagsterInstance,
    raw_cursor: str | None,
    settings: AlertSettings,
    now: float,
    stale_after: float | None = None,
    send=deliver,
) -> StalenessOutcome:
    """One tick of ``refresh_staleness_sensor``; a plain function so tests can drive it."""
    stale_after = stale_after_seconds() if stale_after is None else stale_after
    cursor = _parse(raw_cursor, now)
    last = last_successful_refresh(instance)
    episode = last.run_id if last else NO_SUCCESS
    since = last.ended_at if last else cursor["watching_since"]
    age = now - since
    if age <= stale_after:
        return StalenessOutcome(_dump(cursor), None, f"last refresh success {_hours(age)} ago")
    if cursor["alerted_episode"] == episode:
        return StalenessOutcome(_dump(cursor), None, f"stale for {_hours(age)}; already alerted")
    alert = staleness_alert(last, age, settings)
    results = send(alert, settings, **SEND_OPTIONS)
    if any(results.values()) or not results:
        cursor["alerted_episode"] = episode
    sent = ", ".join(channel for channel, ok in results.items() if ok) or "no channel"
    return StalenessOutcome(_dump(cursor), alert, f"{alert.title}; sent: {sent}")


def staleness_alert(last: LastSuccess | None, age: float, settings: AlertSettings) -> Alert:
    if last is None:
        title = f"No {REFRESH_JOB_NAME} run has succeeded in the {_hours(age)} since monitoring began"
        return Alert(title, ERROR, NO_SUCCESS, f"{settings.ui_base_url.rstrip('/')}/runs",
                     REFRESH_JOB_NAME)
    ended = datetime.fromtimestamp(last.ended_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"No {REFRESH_JOB_NAME} run has succeeded for {_hours(age)} (last success {ended})"
    return Alert(title, ERROR, last.run_id, run_url(settings.ui_base_url, last.run_id),
                 REFRESH_JOB_NAME)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def _parse(raw: str | None, now: float) -> dict:
    try:
        data = json.loads(raw) if raw else {}
        return {"watching_since": float(data.get("watching_since", now)),
                "alerted_episode": data.get("alerted_episode")}
    except (ValueError, TypeError, AttributeError):
        logger.warning("refresh_staleness_sensor: unreadable cursor, starting afresh")
        return {"watching_since": now, "alerted_episode": None}


def _dump(cursor: dict) -> str:
    return json.dumps({"version": 1, **cursor}, sort_keys=True)


@dg.sensor(
    name="refresh_staleness_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails and posts once when no nightly refresh has succeeded for more than a day.",
)
def refresh_staleness_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    outcome = evaluate_staleness(context.instance, context.cursor, load_settings(), time.time())
    context.log.info(outcome.note)
    return dg.SensorResult(skip_reason=outcome.note, cursor=outcome.cursor)
