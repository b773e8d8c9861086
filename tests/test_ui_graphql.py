"""The Dagster UI as a user meets it: `dagster dev` on a free loopback port with a temporary
DAGSTER_HOME, queried over GraphQL for the assets, checks, schedule and sensors; a run is
launched through GraphQL and must succeed. Only the processes this test starts are stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.instance import DAGSTER_YAML
from tests.conftest import REPO_ROOT, platform_env

LOCATION = "send_data_platform"
STARTUP_TIMEOUT_S = 180
RUN_TIMEOUT_S = 600
# launchRun starts a run worker that loads the code location: slow on a loaded 2-core machine
REQUEST_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        payload = json.load(response)
    assert "errors" not in payload, payload.get("errors")
    return payload["data"]


@pytest.fixture(scope="module")
def dagster_ui(small_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    env = {**os.environ, **platform_env(root, small_landing)}
    env.pop("SEND_PSEUDONYM_KEY", None)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    port = free_port()
    log = open(root / "dagster_dev.log", "w")
    dagster = Path(sys.executable).parent / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until_loaded(port, process)
        yield port
    finally:
        stop(process)
        log.close()


def wait_until_loaded(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster dev exited during start-up"
        try:
            data = graphql(port, "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }")
            entries = data["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("dagster dev did not load the code location in time")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


REPOSITORY_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    name location { name }
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } }
    jobs { name }
} } } }
"""

ASSETS_QUERY = """
{ assetNodes { assetKey { path } groupName
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }
"""


def test_ui_shows_assets_checks_schedule_and_sensors(dagster_ui):
    nodes = graphql(dagster_ui, ASSETS_QUERY)["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {"bronze/synergy_person", "silver/person", "gold/srp_places"} <= keys
    groups = {n["groupName"] for n in nodes}
    assert {"bronze", "silver", "gold", "reference"} <= groups
    checks = {
        c["name"]: c["blocking"]
        for n in nodes if n["assetKey"]["path"] == ["gold", "srp_places"]
        for c in n["assetChecksOrError"]["checks"]
    }
    assert checks["gx_gold_srp_places"] is True

    repos = graphql(dagster_ui, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"]
    repo = next(r for r in repos if r["location"]["name"] == LOCATION)
    schedule = next(s for s in repo["schedules"] if s["name"] == "nightly_refresh_schedule")
    assert schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["executionTimezone"] == "Europe/London"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"] for s in repo["sensors"]}
    assert "landing_files_sensor" in sensors
    assert "nightly_refresh" in {j["name"] for j in repo["jobs"]}


LAUNCH = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
} }
"""


def test_run_launched_through_graphql_succeeds(dagster_ui):
    repos = graphql(dagster_ui, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"]
    repo = next(r for r in repos if r["location"]["name"] == LOCATION)
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": repo["name"],
            "jobName": "nightly_refresh",
        },
        "runConfigData": {},
    }
    launched = graphql(dagster_ui, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        data = graphql(dagster_ui, '{ runOrError(runId: "%s") { ... on Run { status } } }' % run_id)
        status = data["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
