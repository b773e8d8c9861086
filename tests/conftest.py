"""Shared fixtures: sample landing data written once per session, an isolated platform
environment (data root, warehouse, DAGSTER_HOME) per test module that needs one, and
``run_dbt`` for the tests that build a hand-made warehouse with dbt directly."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"

PLATFORM_ENV_VARS = (
    "SEND_DATA_ROOT", "SEND_LANDING_DIR", "SEND_ARCHIVE_DIR", "SEND_WAREHOUSE_PATH",
    "SEND_PUBLISHED_DIR", "SEND_REPORT_DIR", "SEND_OUTBOX_DIR", "SEND_PSEUDONYM_KEY",
    "DAGSTER_HOME", "SEND_COUNCIL",
)

SMALL_SCALE = 0.02

DBT = Path(sys.executable).parent / "dbt"  # the dbt of the environment running the tests
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PARTIAL_PARSE = "partial_parse.msgpack"
# Where run_dbt keeps the parse state of this test process's last dbt call (set per session
# below: an environment variable, as this module is imported both as `conftest` and as
# `tests.conftest`).
DBT_PARSE_STATE_VAR = "SEND_TEST_DBT_PARSE_STATE"


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory) -> Path:
    """Clean (defect-free) sample landing data at a small scale, generated once."""
    from orchestration.sample_data import generate

    out = tmp_path_factory.mktemp("landing_small")
    generate(out, scale=SMALL_SCALE, seed=7, defects=False)
    return out


def platform_env(root: Path, landing: Path) -> dict[str, str]:
    return {
        "SEND_DATA_ROOT": str(root),
        "SEND_LANDING_DIR": str(landing),
        "SEND_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


@contextlib.contextmanager
def refresh_platform(small_landing: Path, root: Path):
    """A copy of the small sample under ``root`` and the platform's environment pointing at
    it: yields (landing, refresh job, a Dagster instance). The caller lands what it needs
    in ``landing`` and runs the job as often as it likes.

    The instance keeps runs and events in memory: the tests read them in this process only, and
    an on-disk instance's SQLite writes (one per event, ~800 a refresh) cost a fifth of a
    small refresh."""
    import dagster as dg

    landing = root / "landing"
    shutil.copytree(small_landing, landing)
    with pytest.MonkeyPatch.context() as mp:
        for var, value in platform_env(root, landing).items():
            mp.setenv(var, value)
        mp.delenv("SEND_PSEUDONYM_KEY", raising=False)
        from orchestration.definitions import defs
        from orchestration.jobs import REFRESH_JOB_NAME

        job = defs().resolve_job_def(REFRESH_JOB_NAME)
        with dg.DagsterInstance.ephemeral() as instance:
            yield landing, job, instance


@pytest.fixture
def clean_platform_env(monkeypatch):
    """Removes any platform variables of the developer's shell for the test."""
    for var in PLATFORM_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def small_refreshed(small_landing, tmp_path_factory) -> Path:
    """The data root of one successful full refresh of the small sample (warehouse, release,
    published file), built once per session for the tests that only read what a refresh
    writes (they must not change it)."""
    root = tmp_path_factory.mktemp("small_refreshed")
    with refresh_platform(small_landing, root) as (_landing, job, instance):
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    return root


@pytest.fixture(scope="session", autouse=True)
def dbt_parse_state(tmp_path_factory):
    """The parse state ``run_dbt`` carries from one dbt call to the next in this test process
    (under xdist: per worker, in the worker's own temporary folder)."""
    path = tmp_path_factory.getbasetemp() / "dbt_parse_state" / PARTIAL_PARSE
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DBT_PARSE_STATE_VAR, str(path))
        yield path


def run_dbt(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``dbt *args`` on the project against the warehouse ``root/warehouse.duckdb``, with its
    target and log folders under ``root``; ``env`` (default: this process's) with the pseudonym
    key and the warehouse path replaced.

    dbt parses the whole project again (15-30 s, more than the build of a hand-made scenario)
    unless its saved parse state was made for the same profile, and the profile names the
    warehouse's path. So dbt runs in ``root`` and is given the warehouse as the relative path
    ``warehouse.duckdb``: every call has the same profile and starts from the parse state the
    previous call of this test process left (dbt still re-parses any file that changed)."""
    environment = dict(os.environ if env is None else env)
    environment.pop("SEND_PSEUDONYM_KEY", None)
    environment["SEND_WAREHOUSE_PATH"] = "warehouse.duckdb"  # relative to cwd: root
    target = root / "target"
    saved = Path(os.environ[DBT_PARSE_STATE_VAR]) if os.environ.get(DBT_PARSE_STATE_VAR) else None
    if saved is not None and saved.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARTIAL_PARSE)
    result = subprocess.run(
        [str(DBT), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(root / "logs")],
        cwd=root, env=environment, capture_output=True, text=True,
    )
    if saved is not None and (target / PARTIAL_PARSE).is_file():
        saved.parent.mkdir(parents=True, exist_ok=True)
        temporary = saved.with_name(f".{saved.name}.{os.getpid()}")
        shutil.copyfile(target / PARTIAL_PARSE, temporary)
        os.replace(temporary, saved)
    return result
