"""Shared fixtures: sample landing data written once per session, and an isolated platform
environment (data root, warehouse, DAGSTER_HOME) per test module that needs one."""

from __future__ import annotations

import contextlib
import os
import shutil
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
