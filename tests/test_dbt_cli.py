"""Every dbt command ran `dbt --version` first (dagster-dbt asks the executable which engine it
is): a process start of seconds inside each build, a third of a one-asset run from the UI.
The platform's dbt resource reads the version of the dbt-core installed beside it instead; it
must be the version the `dbt` executable reports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orchestration.dbt_project  # noqa: F401  (puts the venv's dbt on PATH, as the definitions do)
from orchestration.dbt_cli import SendDbtCliResource
from orchestration.resources import build_resources
from orchestration.settings import DBT_PROJECT_DIR


def test_the_dbt_resource_knows_the_dbt_version_without_asking_the_executable():
    dbt = Path(sys.executable).parent / "dbt"
    resource = SendDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                                  dbt_executable=str(dbt))
    reported = re.search(r"(\d+\.\d+\.\d+)", subprocess.check_output([str(dbt), "--version"], text=True))
    assert str(resource._cli_version) == reported.group(1)
    assert isinstance(build_resources()["dbt"], SendDbtCliResource)


def test_no_dbt_adapter_is_opened_in_the_run_process():
    resource = SendDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                                  dbt_executable=str(Path(sys.executable).parent / "dbt"))
    assert resource._initialize_dbt_core_adapter(["build"]) is None
