"""A persistent Dagster instance under DAGSTER_HOME (default data/dagster_home), so schedule
state and run history survive restarts and `make run` runs show up in the UI.

``ensure_dagster_home`` writes ``dagster.yaml`` on first use, and on every later start adds
any platform section an existing file lacks (homes written by earlier versions get run
monitoring this way). It never changes a section that is already there: edit the file freely,
your values win. To have a section rewritten from the defaults and the environment, delete it
from the file; to switch run monitoring off, set ``run_monitoring: {enabled: false}``.

The platform's sections:

* ``run_coordinator``: queued, one run at a time (DuckDB has one writer), taken from the
  queue every second (Dagster's default, 5 s, added 2.5 s on average to a run launched from
  the UI).
* ``run_launcher``: orchestration.run_launcher.HealthCheckedRunLauncher, Dagster's default
  launcher plus a check that a run's worker process is still alive.
* ``run_monitoring``: the daemon fails a run whose worker died (checked every poll), a run
  stuck starting or cancelling past its timeout, and a run past its maximum runtime (the
  refresh job's own limit is its ``dagster/max_runtime`` tag, orchestration/jobs.py). Failed
  runs are alerted by ``run_failure_alert_sensor``. Without this, a killed run stays STARTED
  and blocks the queue for good.

Timeouts, read from the environment when the section is written (seconds):

| variable | default | what |
|---|---|---|
| SEND_RUN_START_TIMEOUT_S | 300 | a launched run that has not started by then is failed |
| SEND_RUN_CANCEL_TIMEOUT_S | 180 | a run still cancelling after this is marked canceled |
| SEND_RUN_MONITOR_POLL_S | 30 | how often the daemon checks in-progress runs |
| SEND_RUN_MAX_RUNTIME_S | 14400 | limit for jobs without their own ``dagster/max_runtime`` |
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from orchestration.settings import Paths

START_TIMEOUT_ENV, START_TIMEOUT_DEFAULT = "SEND_RUN_START_TIMEOUT_S", 300
CANCEL_TIMEOUT_ENV, CANCEL_TIMEOUT_DEFAULT = "SEND_RUN_CANCEL_TIMEOUT_S", 180
POLL_INTERVAL_ENV, POLL_INTERVAL_DEFAULT = "SEND_RUN_MONITOR_POLL_S", 30
MAX_RUNTIME_ENV, MAX_RUNTIME_DEFAULT = "SEND_RUN_MAX_RUNTIME_S", 4 * 60 * 60

HEADER = "# Written by send-data-platform; edit freely (see orchestration/instance.py).\n"
ADDED = "# Added by send-data-platform (orchestration/instance.py); edit freely.\n"


def env_seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def platform_sections() -> dict[str, str]:
    """Each top-level section the platform needs, as YAML text, in file order."""
    return {
        "telemetry": "telemetry:\n  enabled: false\n",
        "run_coordinator": (
            "run_coordinator:\n"
            "  module: dagster._core.run_coordinator.queued_run_coordinator\n"
            "  class: QueuedRunCoordinator\n"
            "  config:\n"
            "    max_concurrent_runs: 1   # DuckDB has one writer: never run two refreshes at once\n"
            "    dequeue_interval_seconds: 1   # a run launched from the UI starts within a second\n"
        ),
        "run_launcher": (
            "run_launcher:   # the default launcher plus a check that a run's worker is alive\n"
            "  module: orchestration.run_launcher\n"
            "  class: HealthCheckedRunLauncher\n"
        ),
        "run_monitoring": (
            "run_monitoring:   # fail (and so alert) runs whose worker died or that overran\n"
            "  enabled: true\n"
            f"  start_timeout_seconds: {env_seconds(START_TIMEOUT_ENV, START_TIMEOUT_DEFAULT)}\n"
            f"  cancel_timeout_seconds: {env_seconds(CANCEL_TIMEOUT_ENV, CANCEL_TIMEOUT_DEFAULT)}\n"
            f"  poll_interval_seconds: {env_seconds(POLL_INTERVAL_ENV, POLL_INTERVAL_DEFAULT)}\n"
            f"  max_runtime_seconds: {env_seconds(MAX_RUNTIME_ENV, MAX_RUNTIME_DEFAULT)}\n"
            "  max_resume_run_attempts: 0   # the default launcher cannot resume a run\n"
        ),
    }


def dagster_yaml() -> str:
    """A complete dagster.yaml with every platform section."""
    return HEADER + "".join(platform_sections().values())


DAGSTER_YAML = dagster_yaml()


def upgrade_dagster_yaml(config: Path) -> list[str]:
    """Write ``config`` if absent, else append the platform sections it lacks (keeping the
    rest of the file as it is). Returns the names of the sections written."""
    sections = platform_sections()
    if not config.exists():
        config.write_text(HEADER + "".join(sections.values()), encoding="utf-8")
        return list(sections)
    text = config.read_text(encoding="utf-8")
    present = yaml.safe_load(text) or {}
    missing = [name for name in sections if name not in present]
    if missing:
        separator = "" if text.endswith("\n") or not text else "\n"
        addition = ADDED + "".join(sections[name] for name in missing)
        config.write_text(text + separator + addition, encoding="utf-8")
    return missing


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or Paths.from_env().data_root / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    upgrade_dagster_yaml(home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
