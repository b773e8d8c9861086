"""`ui_single_asset_s`: one asset materialised from the Dagster UI, timed as its user waits.

    .venv/bin/python benchmarks/bench_ui_single_asset.py --folder data/bench/scale-1 \
        [--asset gold/srp_places] [--runs 3]

Starts the UI as `make ui` does (`python -m orchestration.ui`: `dg dev`, webserver, daemon)
over the folder's landing data and warehouse (built by a full refresh), with a Dagster home of
its own (removed afterwards), on a free loopback port. Once the code location is loaded it
stops the sensors and schedules (a landing-file tick would queue a refresh ahead of the
measured run) and waits until no run is in progress. Then, --runs times, it launches through
GraphQL what the UI's "Materialize" button launches, the asset job with only the asset and all
its checks selected, and times launchRun until the run is SUCCESS (median and range).
`ui_single_asset_run_s` is the median of the runs' own durations as the UI shows them (run
start, once its worker has loaded the code, to run end): the issue's "run under 8 s".

The last run is broken down from its event log: queued until the daemon dequeued it, the
run worker's start-up (process start and code-location load), each step, and the time after
the last step. Prints a table, then one JSON line (read by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.ui_client import free_port, graphql, wait_until_loaded

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCATION = "send_data_platform"
STARTUP_TIMEOUT_S = 300
RUN_TIMEOUT_S = 600
POLL_S = 0.1
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
DONE = ("SUCCESS", "FAILURE", "CANCELED")


REPOSITORY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name
    location { name } sensors { id sensorState { status } } schedules { id scheduleState { status } }
} } } }"""
ASSET = """query($key: AssetKeyInput!) { assetNodes(assetKeys: [$key]) { jobNames
    assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
    ... on InvalidSubsetError { message } } }"""
RUNS = """query($statuses: [RunStatus!]) { runsOrError(filter: {statuses: $statuses}) {
    ... on Runs { results { runId } } } }"""
STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
TIMES = """query($id: ID!) { runOrError(runId: $id) { ... on Run { startTime endTime } } }"""


def quiet_instigators(port: int) -> str:
    """Stop every sensor and schedule (state kept in the bench's own Dagster home); returns
    the repository name."""
    repo = next(r for r in graphql(port, REPOSITORY)["repositoriesOrError"]["nodes"]
                if r["location"]["name"] == LOCATION)
    for sensor in repo["sensors"]:
        if sensor["sensorState"]["status"] == "RUNNING":
            graphql(port, "mutation($id: String) { stopSensor(id: $id) { __typename } }",
                    {"id": sensor["id"]})
    for schedule in repo["schedules"]:
        if schedule["scheduleState"]["status"] == "RUNNING":
            graphql(port, "mutation($id: String) { stopRunningSchedule(id: $id) { __typename } }",
                    {"id": schedule["id"]})
    return repo["name"]


def wait_until_idle(port: int) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while graphql(port, RUNS, {"statuses": list(IN_PROGRESS)})["runsOrError"]["results"]:
        if time.monotonic() > deadline:
            raise SystemExit("runs started by a sensor did not finish in time")
        time.sleep(1)


def launch_params(port: int, repository: str, asset: list[str]) -> dict:
    """What the UI's "Materialize" sends for one asset: the asset job, the asset, its checks."""
    node = graphql(port, ASSET, {"key": {"path": asset}})["assetNodes"][0]
    checks = node["assetChecksOrError"]["checks"]
    job = next(name for name in node["jobNames"] if name.startswith("__ASSET_JOB"))
    return {
        "selector": {
            "repositoryLocationName": LOCATION, "repositoryName": repository, "pipelineName": job,
            "assetSelection": [{"path": asset}],
            "assetCheckSelection": [{"assetKey": {"path": asset}, "name": c["name"]} for c in checks],
        },
        "mode": "default", "executionMetadata": {"tags": []}, "runConfigData": {},
    }


def timed_run(port: int, params: dict) -> tuple[str, str, float]:
    started = time.perf_counter()
    launched = graphql(port, LAUNCH, {"params": params})["launchRun"]
    if launched["__typename"] != "LaunchRunSuccess":
        raise SystemExit(f"launchRun: {launched}")
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while (status := graphql(port, STATUS, {"id": run_id})["runOrError"]["status"]) not in DONE:
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run_id} did not finish in time")
        time.sleep(POLL_S)
    return run_id, status, round(time.perf_counter() - started, 3)


def run_duration(port: int, run_id: str) -> float:
    """The run's duration as the UI shows it: from the run starting (its worker has loaded the
    code) to its end."""
    run = graphql(port, TIMES, {"id": run_id})["runOrError"]
    return round(run["endTime"] - run["startTime"], 3)


def breakdown(home: Path, run_id: str) -> dict:
    """Where the run's seconds went, from its event log."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    try:
        records = instance.all_logs(run_id)
    finally:
        instance.dispose()
    first: dict[str, float] = {}
    steps: dict[str, float] = {}
    timeline = []
    t0 = records[0].timestamp
    for record in records:
        event = record.dagster_event
        kind = event.event_type_value if event else "LOG"
        first.setdefault(kind, record.timestamp)
        if event and event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = round(event.event_specific_data.duration_ms / 1000, 3)
            first["last_step_end"] = record.timestamp
        timeline.append(f"{record.timestamp - t0:7.2f}  {kind:<28} {(record.step_key or ''):<24} "
                        f"{(record.user_message or '')[:110]}".rstrip())

    def between(a: str, b: str) -> float | None:
        return round(first[b] - first[a], 3) if a in first and b in first else None

    return {
        "queued_s": between("PIPELINE_ENQUEUED", "PIPELINE_DEQUEUED"),
        "worker_start_s": between("PIPELINE_STARTING", "PIPELINE_START"),
        "start_to_first_step_s": between("PIPELINE_START", "STEP_START"),
        "steps_s": steps,
        "after_last_step_s": between("last_step_end", "PIPELINE_SUCCESS"),
        "run_s": between("PIPELINE_ENQUEUED", "PIPELINE_SUCCESS"),
        "timeline": timeline,
    }


def start_ui(folder: Path, home: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SEND_DATA_ROOT": str(folder), "SEND_LANDING_DIR": str(folder / "landing"),
           "DAGSTER_HOME": str(home), "SEND_UI_PORT": str(port)}
    for name in ("SEND_WAREHOUSE_PATH", "SEND_ARCHIVE_DIR", "SEND_PUBLISHED_DIR", "SEND_REPORT_DIR",
                 "SEND_OUTBOX_DIR", "SEND_PSEUDONYM_KEY"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "orchestration.ui"], cwd=REPO_ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def stop_ui(ui: subprocess.Popen) -> None:
    if ui.poll() is None:
        os.killpg(ui.pid, signal.SIGINT)  # the supervisor stops its whole tree
        try:
            ui.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True,
                        help="a bench scale folder: landing/ and a built warehouse.duckdb")
    parser.add_argument("--asset", default="gold/srp_places")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = args.folder.resolve()
    if not (folder / "warehouse.duckdb").exists():
        raise SystemExit(f"no warehouse in {folder}: run a full refresh first")
    asset = args.asset.split("/")
    home = Path(tempfile.mkdtemp(prefix="ui_bench_home_", dir=folder))
    port = free_port()
    ui = start_ui(folder, home, port, folder / "ui_single_asset_ui.log")
    try:
        started = time.perf_counter()
        wait_until_loaded(port, ui, STARTUP_TIMEOUT_S)
        ui_start_s = round(time.perf_counter() - started, 3)
        repository = quiet_instigators(port)
        wait_until_idle(port)
        params = launch_params(port, repository, asset)
        runs = [timed_run(port, params) for _ in range(args.runs)]
        durations = sorted(run_duration(port, run_id) for run_id, _, _ in runs)
        details = breakdown(home, runs[-1][0])
    finally:
        stop_ui(ui)
        shutil.rmtree(home, ignore_errors=True)
    walls = sorted(wall for _, _, wall in runs)
    ok = all(status == "SUCCESS" for _, status, _ in runs)
    result = {
        "asset": args.asset,
        "checks": [c["name"] for c in params["selector"]["assetCheckSelection"]],
        "ui_single_asset_s": walls[len(walls) // 2] if ok else None,
        "ui_single_asset_runs_s": [wall for _, _, wall in runs],
        "ui_single_asset_run_s": durations[len(durations) // 2] if ok else None,
        "ui_single_asset_run_durations_s": durations,
        "statuses": [status for _, status, _ in runs],
        "ui_start_s": ui_start_s,
        "last_run": {k: v for k, v in details.items() if k != "timeline"},
    }
    print("\n".join(details["timeline"]))
    print(f"\n{args.asset}: launch to {runs[-1][1]} {result['ui_single_asset_runs_s']} s "
          f"(median {result['ui_single_asset_s']}); the runs themselves {durations} s; "
          f"UI start {ui_start_s} s")
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
