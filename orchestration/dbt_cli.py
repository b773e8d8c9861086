"""dbt as Dagster runs it, without the two start-up costs dagster-dbt adds to every command.

Before starting `dbt`, dagster-dbt's DbtCliResource

* runs `dbt --version` (a process that imports dbt: 3-12 s on the loaded 2-core machines) only
  to tell dbt-core from the Fusion engine. Here `dbt` is the dbt-core installed beside Dagster
  (pinned in pyproject.toml), so its version is read from the installed package;
* opens a dbt adapter in the run's own process (imports dbt, loads the project and profile:
  2-9 s), used only by `.fetch_row_counts()` / `.fetch_column_metadata()`, which the platform
  does not call: orchestration/dbt_events.py reads row counts and column types from the
  warehouse itself. So no adapter is opened (those two methods would fail: use dbt_events).
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class SendDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None
