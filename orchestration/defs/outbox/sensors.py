"""The school outbox runs after every successful refresh."""

import dagster as dg

from orchestration.jobs import outbox_job, refresh_job


@dg.run_status_sensor(
    name="outbox_after_refresh",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_job],
    request_job=outbox_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes the school outbox after each successful nightly refresh.",
)
def outbox_after_refresh(context: dg.RunStatusSensorContext):
    return dg.RunRequest(run_key=context.dagster_run.run_id,
                         tags={"trigger": "refresh_succeeded",
                               "refresh_run": context.dagster_run.run_id})
