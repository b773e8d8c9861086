"""Dagster's DefaultRunLauncher plus a run-worker health check, so run monitoring notices a
dead run within one poll instead of only after the run's maximum runtime.

Why: ``DefaultRunLauncher.supports_check_run_worker_health`` is False, so Dagster's run
monitor can only fail a STARTED run whose worker died once ``dagster/max_runtime`` has passed
(hours, sized for the slowest legitimate refresh). The code server does fail a run whose
worker process *it* spawned dies while it is still up, but nobody watches

* a `make run` (``orchestration.run_all``): the run executes in that process, not in a
  worker a code server owns, and
* a run whose code server died with it (the machine's OOM killer, a crash, a reboot).

Both stay STARTED, and with ``max_concurrent_runs: 1`` block every queued and scheduled run.

The check: the run's worker pid (the ``send/worker_pid`` tag that ``run_all`` sets, or the
``Started process for run (pid: N)`` engine event that every launched worker writes) must be
a live, non-zombie process on this machine that started before the run did (a pid the
kernel reused for a later process does not count). Runs whose worker cannot be located here
(no pid recorded, another host) report RUNNING: the runtime limit still covers them.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG

WORKER_PID_TAG = "send/worker_pid"
WORKER_HOST_TAG = "send/worker_host"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
# The pid event is among a run's first few engine events.
PID_EVENT_SCAN_LIMIT = 50
# /proc start times are in clock ticks; allow for rounding and clock adjustments.
START_TIME_SLACK_SECONDS = 2.0


def worker_tags() -> dict[str, str]:
    """Tags for a run executed in this process (execute_in_process), so the monitor finds it."""
    return {WORKER_PID_TAG: str(os.getpid()), WORKER_HOST_TAG: socket.gethostname()}


def process_state(pid: int) -> tuple[bool, float | None]:
    """(alive, start time as unix seconds or None if unknown) of a process on this machine.

    A zombie (killed, not yet reaped by its parent) counts as dead."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False, None
    except OSError:  # no /proc here: fall back to a signal-0 probe
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False, None
        except PermissionError:
            pass
        return True, None
    if fields[0] in ("Z", "X"):
        return False, None
    ticks_after_boot = int(fields[19])
    return True, _boot_time() + ticks_after_boot / os.sysconf("SC_CLK_TCK")


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def worker_location(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[int | None, bool]:
    """(pid of the run's worker, whether it runs on this machine)."""
    if WORKER_PID_TAG in run.tags:
        host = run.tags.get(WORKER_HOST_TAG, socket.gethostname())
        return int(run.tags[WORKER_PID_TAG]), host == socket.gethostname()
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=PID_EVENT_SCAN_LIMIT
    ).records
    for record in records:
        data = record.event_log_entry.dagster_event.engine_event_data
        pid = data.metadata.get("pid") if data is not None else None
        if pid is not None:
            return int(pid.value), _launched_here(run)
    return None, False


def _launched_here(run: dg.DagsterRun) -> bool:
    grpc_info = json.loads(run.tags.get(GRPC_INFO_TAG) or "{}")
    return bool(grpc_info.get("socket")) or grpc_info.get("host") in LOCAL_HOSTS


def worker_health(instance: dg.DagsterInstance, run: dg.DagsterRun) -> CheckRunHealthResult:
    pid, local = worker_location(instance, run)
    if pid is None or not local:
        return CheckRunHealthResult(WorkerStatus.RUNNING, "run worker not visible from here")
    alive, started = process_state(pid)
    record = instance.get_run_record_by_id(run.run_id)
    run_started = record.start_time if record is not None else None
    if alive and started is not None and run_started is not None:
        alive = started <= run_started + START_TIME_SLACK_SECONDS  # else the pid was reused
    if alive:
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker pid {pid} is alive")
    return CheckRunHealthResult(
        WorkerStatus.FAILED, f"run worker process (pid {pid}) is gone: killed or crashed"
    )


class HealthCheckedRunLauncher(dg.DefaultRunLauncher):
    """DefaultRunLauncher whose workers the run monitor can check (see the module docstring)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        return worker_health(self._instance, run)
