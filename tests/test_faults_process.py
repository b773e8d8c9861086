"""Process faults (issue 12 item 4): a run killed with ``kill -9`` must not block the nights.

* With a real Dagster daemon (`dagster dev` on a free port, the project's workspace and an
  instance written by ``orchestration.instance``, short monitoring timeouts) and a real SMTP
  receiver:
  - the refresh the landing-file sensor submits through the queued coordinator has its run
    worker killed: the run is FAILURE, an alert email names it, and a queued run completes;
  - a `make run` (``python -m orchestration.run_all``) is killed mid-refresh: before run
    monitoring this run stayed STARTED for good and, with ``max_concurrent_runs: 1``, no
    queued run ever started again. Now the monitor's worker health check fails it within a
    poll, it is alerted, and the queued run completes.
* The staleness sensor, on a real instance: no alert within a day, one just past it, none on
  the next tick, and one again after a success and a new day of silence.
* The worker health check behind it: a live pid is RUNNING; a dead one, or a pid the kernel
  gave to a process born after the run, is FAILED; a worker on another host is left to the
  runtime limit.
* A Dagster home written by an earlier version gains run monitoring and keeps its edits.

Only the processes this test starts are stopped (SIGINT to `dagster dev`'s process group).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from alert_receivers import ALERT_TO, UI_BASE_URL, alert_env, smtp_receiver, webhook_receiver  # noqa: F401
from conftest import REPO_ROOT, platform_env
from orchestration.alerts.config import load_settings
from orchestration.defs.alerts.staleness import STALE_AFTER_SECONDS, evaluate_staleness
from orchestration.instance import upgrade_dagster_yaml
from orchestration.jobs import REFRESH_JOB_NAME
from orchestration.run_launcher import WORKER_HOST_TAG, WORKER_PID_TAG, worker_health
from test_ui_graphql import LAUNCH, REPOSITORY_QUERY, STARTUP_TIMEOUT_S, free_port, graphql, stop, wait_until_loaded

LOCATION = "send_data_platform"
HISTORY_JOB = "record_check_history"
POLL_S = 2
DEAD_RUN_FAILED_WITHIN_S = 30  # poll interval plus the daemon's own loop, on a busy machine
ALERT_WITHIN_S = 90  # the failure sensor ticks every 30 s
RUN_STARTED_WITHIN_S = 240
QUEUED_RUN_DONE_WITHIN_S = 240
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


# ---------------------------------------------------------------- a real daemon


@pytest.fixture
def daemon(small_landing, tmp_path, monkeypatch, alert_env):  # noqa: F811
    env = {**os.environ, **platform_env(tmp_path, small_landing)}
    env.pop("SEND_PSEUDONYM_KEY", None)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    monkeypatch.setenv("SEND_RUN_MONITOR_POLL_S", str(POLL_S))
    monkeypatch.setenv("SEND_RUN_START_TIMEOUT_S", "300")
    upgrade_dagster_yaml(home / "dagster.yaml")  # what `make ui` writes, with a short poll
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    port = free_port()
    log = open(tmp_path / "dagster_dev.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until_loaded(port, process, STARTUP_TIMEOUT_S, poll_s=1)
        with dg.DagsterInstance.get() as instance:
            yield {"port": port, "env": env, "instance": instance, "log": tmp_path / "dagster_dev.log"}
    finally:
        stop(process)
        log.close()


def launch(port: int, job_name: str) -> str:
    repos = graphql(port, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"]
    repo = next(r for r in repos if r["location"]["name"] == LOCATION)
    params = {"selector": {"repositoryLocationName": LOCATION, "repositoryName": repo["name"],
                           "jobName": job_name}, "runConfigData": {}}
    launched = graphql(port, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def wait_for(condition, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def status(instance: dg.DagsterInstance, run_id: str) -> str:
    return instance.get_run_by_id(run_id).status.value


def refresh_run(instance: dg.DagsterInstance, wanted: str) -> str | None:
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME))
    return next((r.run_id for r in runs if r.status.value == wanted), None)


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid the run worker logged ("Started process for run (pid: N).")."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        pid = entry.dagster_event.engine_event_data.metadata.get("pid")
        if pid is not None:
            return int(pid.value)
    return None


def nothing_in_progress(instance: dg.DagsterInstance) -> bool:
    return not instance.get_runs(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus(s) for s in IN_PROGRESS]))


def failure_alert_for(smtp, run_id: str):
    return next((m for m in smtp.messages if f"Run {run_id[:8]} of {REFRESH_JOB_NAME} failed"
                 in m["Subject"]), None)


def assert_dead_run_failed_alerted_and_queue_moves(daemon, smtp, run_id: str, queued: str):
    instance = daemon["instance"]
    wait_for(lambda: status(instance, run_id) == "FAILURE", DEAD_RUN_FAILED_WITHIN_S,
             f"killed run {run_id} to be marked FAILURE")
    alert = wait_for(lambda: failure_alert_for(smtp, run_id), ALERT_WITHIN_S,
                     f"an alert email for run {run_id}", interval=1)
    assert alert["To"] == ", ".join(ALERT_TO)
    assert f"{UI_BASE_URL}/runs/{run_id}" in alert.get_content()
    wait_for(lambda: status(instance, queued) in ("SUCCESS", "FAILURE", "CANCELED"),
             QUEUED_RUN_DONE_WITHIN_S, f"queued run {queued} to finish", interval=1)
    assert status(instance, queued) == "SUCCESS"


def test_killed_runs_are_failed_alerted_and_the_queue_moves_on(daemon, smtp_receiver):
    instance, port = daemon["instance"], daemon["port"]

    # 1. The refresh the landing-file sensor submits (files are in the landing folder) goes
    #    through the queued coordinator; its run worker is killed mid-run.
    daemon_run = wait_for(lambda: refresh_run(instance, "STARTED"), RUN_STARTED_WITHIN_S,
                          "the sensor's refresh to start", interval=1)
    pid = wait_for(lambda: worker_pid(instance, daemon_run), 30, "the run worker's pid")
    queued = launch(port, HISTORY_JOB)
    assert status(instance, queued) in ("QUEUED", "NOT_STARTED")
    os.kill(pid, signal.SIGKILL)
    assert_dead_run_failed_alerted_and_queue_moves(daemon, smtp_receiver, daemon_run, queued)
    wait_for(lambda: nothing_in_progress(instance), QUEUED_RUN_DONE_WITHIN_S,
             "runs started after the failure (check history) to finish", interval=1)

    # 2. A `make run` (in-process refresh, recorded in the same instance) killed mid-run.
    make_run = subprocess.Popen([sys.executable, "-m", "orchestration.run_all", "--only", "refresh"],
                                cwd=REPO_ROOT, env=daemon["env"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        in_process = wait_for(lambda: refresh_run(instance, "STARTED"), RUN_STARTED_WITHIN_S,
                              "make run's refresh to start", interval=0.5)
        assert instance.get_run_by_id(in_process).tags[WORKER_PID_TAG] == str(make_run.pid)
        queued = launch(port, HISTORY_JOB)
        time.sleep(3 * POLL_S)  # the queue holds while the make run is alive
        assert status(instance, in_process) == "STARTED"
        assert status(instance, queued) == "QUEUED"
        make_run.kill()
        make_run.wait(timeout=30)
    finally:
        if make_run.poll() is None:
            make_run.kill()
            make_run.wait()
    assert_dead_run_failed_alerted_and_queue_moves(daemon, smtp_receiver, in_process, queued)
    failure = instance.get_records_for_run(
        in_process, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
    assert f"pid {make_run.pid}" in failure.event_log_entry.dagster_event.message


# ---------------------------------------------------------------- staleness


@dg.op
def refresh_step(context) -> None:
    if context.run.tags.get("outcome") == "fail":
        raise dg.Failure("the night failed")


@dg.job(name=REFRESH_JOB_NAME)
def refresh_stand_in():
    """A job under the refresh's name: the sensor reads run records, so real ones, made cheap."""
    refresh_step()


def refresh(instance: dg.DagsterInstance, outcome: str = "succeed") -> float:
    result = refresh_stand_in.execute_in_process(instance=instance, raise_on_error=False,
                                                 tags={"outcome": outcome})
    return instance.get_run_record_by_id(result.run_id).end_time


def test_staleness_alerts_once_per_episode_just_past_a_day(alert_env, smtp_receiver):  # noqa: F811
    settings = load_settings()
    day = float(STALE_AFTER_SECONDS)
    with dg.DagsterInstance.ephemeral() as instance:
        ended = refresh(instance)

        def tick(cursor, at):
            return evaluate_staleness(instance, cursor, settings, now=at, stale_after=day)

        within = tick(None, ended + day - 60)
        exactly = tick(within.cursor, ended + day)
        refresh(instance, "fail")  # a failed night does not end the episode
        past = tick(exactly.cursor, ended + day + 1)
        later = tick(past.cursor, ended + day + 3600)

        assert (within.alert, exactly.alert, later.alert) == (None, None, None)
        assert past.alert is not None
        messages = smtp_receiver.wait_for(1)
        assert len(messages) == 1
        assert "No nightly_refresh run has succeeded for 24.0 h" in messages[0]["Subject"]

        recovered = refresh(instance)
        fresh = tick(later.cursor, recovered + 60)
        stale_again = tick(fresh.cursor, recovered + day + 1)

        assert fresh.alert is None
        assert stale_again.alert is not None
        assert len(smtp_receiver.wait_for(2)) == 2
        episodes = [json.loads(t.cursor)["alerted_episode"] for t in (later, stale_again)]
        assert episodes[0] != episodes[1]


def test_staleness_counts_from_first_tick_when_nothing_ever_succeeded(alert_env, smtp_receiver):  # noqa: F811
    settings = load_settings()
    with dg.DagsterInstance.ephemeral() as instance:
        first = evaluate_staleness(instance, None, settings, now=1_000_000.0, stale_after=100)
        at_threshold = evaluate_staleness(instance, first.cursor, settings, now=1_000_100.0,
                                          stale_after=100)
        past = evaluate_staleness(instance, at_threshold.cursor, settings, now=1_000_101.0,
                                  stale_after=100)

    assert (first.alert, at_threshold.alert) == (None, None)
    assert past.alert is not None and past.alert.run_id == "none"
    assert len(smtp_receiver.wait_for(1)) == 1


# ---------------------------------------------------------------- existing instances

EARLIER_DAGSTER_YAML = """\
# Written by send-data-platform on first use; edit freely.
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1   # DuckDB has one writer: never run two refreshes at once
retention:   # a user's own edit
  schedule:
    purge_after_days: 30
"""


def test_an_existing_dagster_home_gains_run_monitoring_and_keeps_its_edits(tmp_path, monkeypatch):
    config = tmp_path / "dagster.yaml"
    config.write_text(EARLIER_DAGSTER_YAML)
    monkeypatch.setenv("SEND_RUN_MONITOR_POLL_S", "7")

    added = upgrade_dagster_yaml(config)
    again = upgrade_dagster_yaml(config)

    assert (added, again) == (["run_launcher", "run_monitoring"], [])
    assert config.read_text().startswith(EARLIER_DAGSTER_YAML)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_poll_interval_seconds == 7
        assert instance.run_monitoring_start_timeout_seconds == 300
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.get_settings("retention")["schedule"]["purge_after_days"] == 30


# ---------------------------------------------------------------- the worker health check


@dg.op
def quick_step() -> None:
    pass


@dg.job
def quick_job():
    quick_step()


def health(instance: dg.DagsterInstance, run_id: str) -> str:
    return worker_health(instance, instance.get_run_by_id(run_id)).status.value


def health_of_run_tagged(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run_id = quick_job.execute_in_process(instance=instance, tags=tags).run_id
    return health(instance, run_id)


def test_worker_health_tells_live_dead_and_reused_pids_apart():
    here = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    with dg.DagsterInstance.ephemeral() as instance:
        alive = health_of_run_tagged(instance, {WORKER_PID_TAG: str(os.getpid()),
                                                WORKER_HOST_TAG: here})
        gone = health_of_run_tagged(instance, {WORKER_PID_TAG: str(dead.pid),
                                               WORKER_HOST_TAG: here})
        elsewhere = health_of_run_tagged(instance, {WORKER_PID_TAG: str(dead.pid),
                                                    WORKER_HOST_TAG: "another-host"})
        untagged = health_of_run_tagged(instance, {})
        run_id = quick_job.execute_in_process(instance=instance).run_id
        time.sleep(3)
        later = subprocess.Popen(["sleep", "30"])  # a process born after the run: a reused pid
        try:
            instance.add_run_tags(run_id, {WORKER_PID_TAG: str(later.pid),
                                           WORKER_HOST_TAG: here})
            reused = health(instance, run_id)
        finally:
            later.kill()
            later.wait()

    assert (alive, gone, elsewhere, untagged, reused) == (
        "RUNNING", "FAILED", "RUNNING", "RUNNING", "FAILED")
