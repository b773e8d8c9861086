"""Where a refresh run's time went, from the step events in its Dagster instance."""

from __future__ import annotations

from pathlib import Path

from orchestration.jobs import REFRESH_JOB_NAME

STAGES = ("ingest", "dbt", "checks", "report", "publish")


def stage_of(step_key: str, materialized_layers: set[str], evaluates_checks: bool) -> str:
    """ingest / dbt / checks / report / publish / other, from the step's name and events."""
    key = step_key.lower()
    for stage in ("dbt", "publish", "report"):
        if stage in key:
            return stage
    if evaluates_checks and not materialized_layers:
        return "checks"
    if key.startswith("ingest") or materialized_layers == {"bronze"}:
        return "ingest"
    return "other"


def latest_refresh(dagster_home: Path) -> dict | None:
    """Stage seconds of the newest refresh run in the instance (the step just measured: steps
    run one after another), with its status, the run's own duration and every step's."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME), limit=1)
        if not runs:
            return None
        run = runs[0]
        records = instance.all_logs(run.run_id)
    finally:
        instance.dispose()
    steps: dict[str, float] = {}
    layers: dict[str, set[str]] = {}
    checking: set[str] = set()
    run_times = []
    for record in records:
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = round(event.event_specific_data.duration_ms / 1000, 3)
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            layers.setdefault(event.step_key, set()).add(event.asset_key.path[0])
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            checking.add(event.step_key)
        elif kind in (dg.DagsterEventType.RUN_START, dg.DagsterEventType.RUN_SUCCESS,
                      dg.DagsterEventType.RUN_FAILURE):
            run_times.append(record.timestamp)
    stages = {stage: 0.0 for stage in STAGES}
    for key, seconds in steps.items():
        stage = stage_of(key, layers.get(key, set()), key in checking)
        stages[stage] = round(stages.get(stage, 0.0) + seconds, 3)
    return {
        "run_id": run.run_id,
        "status": run.status.value,
        "stages": stages,
        "run_s": round(max(run_times) - min(run_times), 3) if len(run_times) > 1 else None,
        "steps": steps,
    }
