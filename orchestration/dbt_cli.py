"""dbt as Dagster runs it, without a `dbt --version` process before every dbt command.

dagster-dbt's DbtCliResource asks the `dbt` executable for its version (a subprocess that
imports dbt: seconds on the 2-core machines) on each invocation, only to tell dbt-core from
the Fusion engine. Here `dbt` is the dbt-core installed beside Dagster (pinned in
pyproject.toml), so its version is read from the installed package instead.
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
