"""Sensors that turn failed runs and failed checks into email and webhook alerts.

One alert per run, so a bad night gives one email and one webhook post, sent by exactly one
of the two sensors:

- ``check_alert_sensor`` handles every finished run (succeeded, failed or canceled) with at
  least one check that did not pass, ERROR or WARN. Run-failure sensors never see WARN checks
  on a successful run (dagster issue #29896), hence a sensor of our own. It waits for the run
  to finish so all of the run's evaluations go into one alert; for a failed run the alert
  also lists the failed steps.
- ``run_failure_alert_sensor`` handles the failed runs with NO failed check (an asset raised,
  dbt could not compile, the run worker died), which ``check_alert_sensor`` ignores. Dagster's
  run-status machinery advances its own cursor whatever happens, so delivery here gets
  in-call retries only; ``check_alert_sensor`` also retries across ticks.

``check_alert_sensor`` cursor (JSON)::

    {"version": 1,
     "seen": {"<run_id>": <run end time, unix seconds>, ...},
     "retries": {"<run_id>": {"channels": ["email"], "attempts": 1, "next_at": <unix seconds>}}}

``seen`` holds the finished runs already handled (alerted or clean) within the last
``LOOKBACK_SECONDS``; older entries are dropped because runs that ended before the look-back
are never queried again. The cursor is keyed by run, not by event storage id, because the
default SQLite event storage (what DAGSTER_HOME uses here) keeps one database per run, so
storage ids restart in every run and ``get_event_records`` refuses a plain id cursor.
``retries`` holds the channels that failed for a run; only those are retried (a webhook that
went out is not posted again), at doubling intervals from ``RETRY_BASE_SECONDS``, and a run is
given up on, with an error logged, after ``MAX_SEND_ATTEMPTS`` tries.

On a fresh cursor the sensor looks back ``LOOKBACK_SECONDS`` (24 h), so it reports the last
night's runs once when first switched on. Runless check evaluations (reported from outside a
run) are not covered.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import dagster as dg

from orchestration.alerts.config import AlertSettings, load_settings
from orchestration.alerts.messages import (
    ERROR,
    WARN,
    Alert,
    CheckFinding,
    FailedStep,
    build_check_alert,
    build_run_failure_alert,
    safe_counts,
)
from orchestration.alerts.senders import deliver
from orchestration.unchanged_build import UNCHANGED_SINCE_RUN

logger = logging.getLogger("orchestration.alerts")

SENSOR_INTERVAL_SECONDS = 30
LOOKBACK_SECONDS = 24 * 60 * 60
MAX_SEND_ATTEMPTS = 6
RETRY_BASE_SECONDS = 60.0
# Stay well inside Dagster's 60 s sensor evaluation timeout; unfinished work waits a tick.
TICK_BUDGET_SECONDS = 30.0
CHECK_SENSOR_SEND_OPTIONS = {"attempts": 2, "timeout": 10.0, "backoff_seconds": 1.0}
FAILURE_SENSOR_SEND_OPTIONS = {"attempts": 3, "timeout": 6.0, "backoff_seconds": 1.0}
FINISHED_STATUSES = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]

Deliver = Callable[..., dict[str, bool]]


# ---------------------------------------------------------------- reading the instance


def failed_check_findings(instance: dg.DagsterInstance, run_id: str) -> list[CheckFinding]:
    """The run's check evaluations that did not pass; the last evaluation of each check wins.
    A result a quiet night re-states (``unchanged_since_run``: the tables have not changed since
    the run that found it) was alerted on that night and is not alerted again."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    latest = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.asset_check_evaluation_data
        latest[(evaluation.asset_key, evaluation.check_name)] = evaluation
    return [_finding(evaluation) for evaluation in latest.values()
            if not evaluation.passed and UNCHANGED_SINCE_RUN not in evaluation.metadata]


def _finding(evaluation) -> CheckFinding:
    severity = ERROR if evaluation.severity == dg.AssetCheckSeverity.ERROR else WARN
    return CheckFinding(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        severity=severity,
        counts=safe_counts({key: value.value for key, value in evaluation.metadata.items()}),
        blocking=bool(evaluation.blocking),
    )


def failed_steps(instance: dg.DagsterInstance, run_id: str) -> list[FailedStep]:
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    steps: dict[str, FailedStep] = {}
    for record in records:
        event = record.event_log_entry.dagster_event
        error = event.step_failure_data.error if event.step_failure_data else None
        steps[event.step_key] = FailedStep(event.step_key, _root_error_class(error))
    return list(steps.values())


def _root_error_class(error) -> str | None:
    # Only the exception class: error messages can quote the data that broke the step.
    while error is not None and error.cause is not None:
        error = error.cause
    return error.cls_name if error is not None else None


def finished_runs(instance: dg.DagsterInstance, since: float) -> list[dg.RunRecord]:
    """Runs that finished at or after ``since``, oldest first."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=FINISHED_STATUSES,
            updated_after=datetime.fromtimestamp(since, tz=timezone.utc),
        )
    )
    ended = [record for record in records if run_end_time(record) >= since]
    return sorted(ended, key=run_end_time)


def run_end_time(record: dg.RunRecord) -> float:
    return record.end_time if record.end_time is not None else record.update_timestamp.timestamp()


# ---------------------------------------------------------------- check sensor cursor


@dataclass
class PendingRetry:
    channels: list[str]
    attempts: int
    next_at: float


@dataclass
class CheckAlertCursor:
    seen: dict[str, float] = field(default_factory=dict)
    retries: dict[str, PendingRetry] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> CheckAlertCursor:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(
                seen={run_id: float(ended) for run_id, ended in data.get("seen", {}).items()},
                retries={run_id: PendingRetry(**retry) for run_id, retry in data.get("retries", {}).items()},
            )
        except (ValueError, TypeError, AttributeError):
            logger.warning("check_alert_sensor: unreadable cursor, starting afresh")
            return cls()

    def to_json(self) -> str:
        retries = {run_id: vars(retry) for run_id, retry in self.retries.items()}
        return json.dumps({"version": 1, "seen": self.seen, "retries": retries}, sort_keys=True)

    def forget_before(self, horizon: float) -> None:
        self.seen = {run_id: ended for run_id, ended in self.seen.items() if ended >= horizon}

    def record_outcome(self, run_id: str, failed_channels: Sequence[str], now: float) -> str | None:
        """Update the retry state after a send; return a note for the tick log, if any."""
        attempts = self.retries.pop(run_id).attempts + 1 if run_id in self.retries else 1
        if not failed_channels:
            return None
        if attempts >= MAX_SEND_ATTEMPTS:
            return f"gave up on {', '.join(failed_channels)} for run {run_id} after {attempts} attempts"
        delay = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        self.retries[run_id] = PendingRetry(list(failed_channels), attempts, now + delay)
        return (
            f"{', '.join(failed_channels)} failed for run {run_id}; "
            f"retry {attempts + 1} of {MAX_SEND_ATTEMPTS} in {delay:.0f}s"
        )


# ---------------------------------------------------------------- check sensor tick


@dataclass
class TickOutcome:
    cursor: str
    notes: list[str]

    @property
    def summary(self) -> str:
        return "; ".join(self.notes) if self.notes else "No new failed checks"


def evaluate_check_alerts(
    instance: dg.DagsterInstance,
    raw_cursor: str | None,
    settings: AlertSettings,
    now: float,
    send: Deliver = deliver,
) -> TickOutcome:
    """One tick of ``check_alert_sensor``; plain function so tests can drive it directly."""
    cursor = CheckAlertCursor.parse(raw_cursor)
    cursor.forget_before(now - LOOKBACK_SECONDS)
    deadline = time.monotonic() + TICK_BUDGET_SECONDS
    notes: list[str] = []

    for run_id, retry in list(cursor.retries.items()):
        if retry.next_at > now:
            continue
        if time.monotonic() > deadline:
            break
        notes += _retry(instance, cursor, run_id, retry, settings, now, send)

    for record in finished_runs(instance, now - LOOKBACK_SECONDS):
        run = record.dagster_run
        if run.run_id in cursor.seen:
            continue
        if time.monotonic() > deadline:
            notes.append("tick budget used up; remaining runs wait for the next tick")
            break
        try:
            alert = _check_alert(instance, run, settings)
        except Exception:  # noqa: BLE001 - one unreadable run must not stall the others
            logger.exception("check_alert_sensor: could not read run %s; trying again next tick", run.run_id)
            notes.append(f"could not read run {run.run_id}; trying again next tick")
            continue
        cursor.seen[run.run_id] = run_end_time(record)
        if alert is not None:
            notes += _send(cursor, alert, settings, None, now, send)

    return TickOutcome(cursor.to_json(), notes)


def _retry(instance, cursor, run_id, retry, settings, now, send) -> list[str]:
    record = instance.get_run_record_by_id(run_id)
    alert = _check_alert(instance, record.dagster_run, settings) if record else None
    if alert is None:
        cursor.retries.pop(run_id)
        return [f"run {run_id} no longer needs an alert; dropped its retry"]
    return _send(cursor, alert, settings, retry.channels, now, send)


def _check_alert(instance, run: dg.DagsterRun, settings: AlertSettings) -> Alert | None:
    findings = failed_check_findings(instance, run.run_id)
    if not findings:
        return None
    if run.status == dg.DagsterRunStatus.FAILURE:
        return run_failure_alert(instance, run, findings, settings)
    return build_check_alert(run.run_id, run.job_name, findings, settings.ui_base_url)


def _send(cursor, alert, settings, channels, now, send) -> list[str]:
    results = send(alert, settings, channels, **CHECK_SENSOR_SEND_OPTIONS)
    failed = [channel for channel, ok in results.items() if not ok]
    sent = [channel for channel, ok in results.items() if ok]
    notes = [f"sent {', '.join(sent)} for run {alert.run_id}"] if sent else []
    if not settings.channels:
        notes.append(f"no alert channel configured; run {alert.run_id}: {alert.title}")
    problem = cursor.record_outcome(alert.run_id, failed, now)
    if problem:
        logger.error("check_alert_sensor: %s", problem)
        notes.append(problem)
    return notes


# ---------------------------------------------------------------- Dagster wiring


@dg.sensor(
    name="check_alert_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails and posts one alert per finished run whose checks failed or warned.",
)
def check_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    outcome = evaluate_check_alerts(context.instance, context.cursor, load_settings(), time.time())
    for note in outcome.notes:
        context.log.info(note)
    return dg.SensorResult(skip_reason=outcome.summary, cursor=outcome.cursor)


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    # Every run on the instance, including in-process ones (`make run`) that carry no code
    # location and would otherwise not match this sensor's location.
    monitor_all_code_locations=True,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails and posts one alert per failed run that has no failed check.",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    findings = failed_check_findings(context.instance, run.run_id)
    if findings:
        context.log.info(f"run {run.run_id} has failed checks; check_alert_sensor reports it")
        return
    settings = load_settings()
    alert = run_failure_alert(context.instance, run, findings, settings)
    results = deliver(alert, settings, **FAILURE_SENSOR_SEND_OPTIONS)
    for channel, ok in results.items():
        if ok:
            context.log.info(f"sent {channel} for failed run {run.run_id}")
        else:
            context.log.error(f"{channel} alert for failed run {run.run_id} could not be sent")
    if not results:
        context.log.warning(f"no alert channel configured; run {run.run_id}: {alert.title}")


def run_failure_alert(
    instance: dg.DagsterInstance, run: dg.DagsterRun, findings: list[CheckFinding], settings: AlertSettings
) -> Alert:
    steps = failed_steps(instance, run.run_id)
    return build_run_failure_alert(run.run_id, run.job_name, steps, findings, settings.ui_base_url)


ALERT_SENSORS = [run_failure_alert_sensor, check_alert_sensor]
