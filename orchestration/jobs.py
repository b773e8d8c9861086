"""The jobs: the nightly refresh (bronze to report and publication, with every check) and the
school outbox that follows it (pre-filled return templates and feedback workbooks).

The outbox is its own job, started by ``outbox_after_refresh`` when a refresh succeeds: the
warehouse, report and BI publication do not wait for thousands of workbooks to be written,
and a problem writing them cannot fail the refresh.
"""

import dagster as dg

from orchestration.instance import env_seconds

REFRESH_JOB_NAME = "nightly_refresh"
OUTBOX_JOB_NAME = "school_outbox"
OUTBOX_GROUP = "outbox"
# Dagster's run monitor fails a refresh still running after this (a hung night must not block
# the next one). A full refresh takes ~70 s at scale 1 and ~10 min at scale 25.
REFRESH_MAX_RUNTIME_ENV = "SEND_REFRESH_MAX_RUNTIME_S"
REFRESH_MAX_RUNTIME_DEFAULT_S = 2 * 60 * 60
REFRESH_MAX_RUNTIME_S = env_seconds(REFRESH_MAX_RUNTIME_ENV, REFRESH_MAX_RUNTIME_DEFAULT_S)

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("quality", OUTBOX_GROUP),
    description="Load whatever landed, rebuild silver and gold, run every check, "
    "rebuild the report and publish.",
    tags={"dagster/max_runtime": str(REFRESH_MAX_RUNTIME_S)},
)

outbox_job = dg.define_asset_job(
    OUTBOX_JOB_NAME,
    selection=dg.AssetSelection.groups(OUTBOX_GROUP),
    description="Write the schools' pre-filled return templates and the feedback on every "
    "return received (only workbooks whose content changed are written).",
)
