"""The nightly refresh at 02:00 UK time, and a sensor that starts it when files land."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import refresh_job
from orchestration.landing_state import (  # noqa: F401  (landing_fingerprint: tests import it here)
    folder_fingerprints,
    landing_fingerprint,
    recorded_fingerprints,
    unread_folders,
)
from orchestration.settings import Paths

nightly_refresh_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_schedule",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh everything at 02:00 Europe/London, after Synergy's nightly export.",
)


@dg.sensor(
    name="landing_files_sensor",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when files arrive in, change in or leave the landing folder.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    """Looks at the folder only when it changed since the last tick (the cursor), then asks
    whether any source folder differs from what the last refresh read (see
    orchestration/landing_state.py): an empty cursor (the first tick after `make run`) and
    files another refresh already loaded start nothing."""
    paths = Paths.from_env()
    fingerprint, count = landing_fingerprint(paths.landing)
    if count == 0 or fingerprint == context.cursor:
        return dg.SkipReason(f"no change in the landing folder ({count} files)")
    context.update_cursor(fingerprint)
    unread = unread_folders(folder_fingerprints(paths.landing),
                            last_read_fingerprints(context.instance, paths))
    if not unread:
        return dg.SkipReason(f"every landed file was already read by a refresh ({count} files)")
    return dg.RunRequest(run_key=fingerprint,
                         tags={"trigger": "landing_files", "landing_folders": ",".join(unread)})


def last_read_fingerprints(instance: dg.DagsterInstance, paths: Paths) -> dict[str, str]:
    """Each source folder's fingerprint when an ingestion step last read it (none when the
    warehouse it was read into is gone)."""
    from orchestration.defs.ingest.assets import INGEST_ASSETS

    if not paths.warehouse.exists():
        return {}
    keys = [key for assets_def in INGEST_ASSETS for key in assets_def.keys]
    latest = instance.get_latest_materialization_events(keys)
    return recorded_fingerprints(entry.asset_materialization.metadata
                                 for entry in latest.values() if entry is not None)
