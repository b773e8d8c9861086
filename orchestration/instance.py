"""A persistent Dagster instance under DAGSTER_HOME (default data/dagster_home), so schedule
state and run history survive restarts and `make run` runs show up in the UI."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import Paths

DAGSTER_YAML = """\
# Written by send-data-platform on first use; edit freely.
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1   # DuckDB has one writer: never run two refreshes at once
"""


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or Paths.from_env().data_root / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
