"""The nightly refresh at 02:00 UK time, and a sensor that starts it when files land."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dagster as dg

from orchestration.jobs import refresh_job
from orchestration.settings import Paths

nightly_refresh_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_schedule",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh everything at 02:00 Europe/London, after Synergy's nightly export.",
)


def landing_fingerprint(landing: Path) -> tuple[str, int]:
    """A digest of every landed file's path, size and modification time, and the file count."""
    digest = hashlib.sha256()
    count = 0
    if landing.is_dir():
        for root, dirs, files in os.walk(landing):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                stat = path.lstat()  # a dangling link must not break the sensor
                rel = path.relative_to(landing).as_posix()
                digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode(
                    "utf-8", "surrogateescape"))  # names need not be UTF-8
                count += 1
    return digest.hexdigest(), count


@dg.sensor(
    name="landing_files_sensor",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when files arrive in, change in or leave the landing folder.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    fingerprint, count = landing_fingerprint(Paths.from_env().landing)
    if count == 0 or fingerprint == context.cursor:
        return dg.SkipReason(f"no change in the landing folder ({count} files)")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags={"trigger": "landing_files"})
