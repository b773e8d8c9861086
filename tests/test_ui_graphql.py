"""The Dagster UI as a user meets it: started as `make ui` does (`python -m orchestration.ui`,
which runs `dg dev`) on a free loopback port with a temporary DAGSTER_HOME, queried over GraphQL
for the assets, checks, schedule and sensors; a run is launched through GraphQL and must
succeed. Only the processes this test starts are stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestration.ui_client import free_port, graphql, wait_until_loaded
from tests.conftest import REPO_ROOT, platform_env

LOCATION = "send_data_platform"
STARTUP_TIMEOUT_S = 180
RUN_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def dagster_ui(small_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    port = free_port()
    env = {**os.environ, **platform_env(root, small_landing), "SEND_UI_PORT": str(port),
           "SEND_UI_STOP_GRACE_S": "20"}
    env.pop("SEND_PSEUDONYM_KEY", None)
    log = open(root / "make_ui.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.ui"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until_loaded(port, process, STARTUP_TIMEOUT_S, poll_s=1)
        yield port
    finally:
        stop(process)
        log.close()


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


GOLD_ASSET_QUERY = """
query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
    owners { ... on TeamAssetOwner { team } }
    tags { key value }
    assetMaterializations(limit: 1) { metadataEntries { label
        ... on IntMetadataEntry { intValue }
        ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
        ... on PathMetadataEntry { path }
    } }
    assetChecksOrError { ... on AssetChecks { checks { name description } } }
} } }
"""


def gold_asset(port: int, *path: str) -> dict:
    return graphql(port, GOLD_ASSET_QUERY, {"key": {"path": list(path)}})["assetNodeOrError"]


def test_gold_asset_shows_row_count_column_types_and_check_descriptions(dagster_ui):
    """Issue 15 items 1-2, as the UI reads them (after the run launched above): gold/srp_places'
    latest materialisation carries count(*) of the table and DuckDB's column types, its owner and
    tags, and every check of it says what failing means."""
    from pathlib import Path

    import duckdb

    published = {e["label"]: e for e in gold_asset(dagster_ui, "publish", "published_gold")
                 ["assetMaterializations"][0]["metadataEntries"]}
    # <root>/published/versions/<version>/published.duckdb: the warehouse is <root>/warehouse.duckdb
    warehouse = Path(published["path"]["path"]).parents[3] / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from gold.srp_places").fetchall()[0][0]
        types = con.execute("select column_name, data_type from information_schema.columns where "
                            "table_schema = 'gold' and table_name = 'srp_places' "
                            "order by ordinal_position").fetchall()
    node = gold_asset(dagster_ui, "gold", "srp_places")
    entries = {e["label"]: e for e in node["assetMaterializations"][0]["metadataEntries"]}
    assert entries["dagster/row_count"]["intValue"] == rows > 0
    columns = entries["dagster/column_schema"]["schema"]["columns"]
    assert [(c["name"], c["type"]) for c in columns] == [tuple(t) for t in types]
    assert all(c["description"] for c in columns)
    assert node["owners"] == [{"team": "send-data"}]
    tags = {t["key"]: t["value"] for t in node["tags"]}
    assert tags["layer"] == "gold" and "source/synergy" in tags
    checks = {c["name"]: c["description"] for c in node["assetChecksOrError"]["checks"]}
    assert len(checks) > 10
    assert all(d and d != "No description provided" for d in checks.values())
    assert checks["not_null_srp_places_level"] == (
        "Fails if any row of gold.srp_places has a NULL level. "
        "Blocking: a failure stops everything downstream.")
