"""quality/check_history: appended after every refresh (success or failure), so a night whose
checks stopped gold still leaves its record."""

import dagster as dg

from orchestration.jobs import refresh_job
from orchestration.quality.history import TABLE, record_new_evaluations
from orchestration.resources import WarehouseResource

CHECK_HISTORY_KEY = dg.AssetKey(["quality", "check_history"])
HISTORY_JOB_NAME = "record_check_history"


@dg.asset(
    key=CHECK_HISTORY_KEY,
    group_name="quality",
    kinds={"duckdb"},
    description=f"Every asset-check evaluation (check, asset, run, passed, severity, counts, "
    f"time) in {TABLE}, for the report and BI tools.",
)
def check_history(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        added = record_new_evaluations(con, context.instance)
        total, failing = con.execute(
            f"select count(*), count(*) filter (where not passed) from {TABLE}"
        ).fetchone()
    return dg.MaterializeResult(
        metadata={"evaluations_added": added, "evaluations_total": total, "not_passed_total": failing}
    )


record_check_history_job = dg.define_asset_job(
    HISTORY_JOB_NAME, selection=[CHECK_HISTORY_KEY], description="Append new check evaluations."
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_job],
    request_job=record_check_history_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    name="check_history_after_success",
)
def check_history_after_success(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"history-{context.dagster_run.run_id}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.FAILURE,
    monitored_jobs=[refresh_job],
    request_job=record_check_history_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    name="check_history_after_failure",
)
def check_history_after_failure(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=f"history-{context.dagster_run.run_id}")
