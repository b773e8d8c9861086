"""The jobs: the nightly refresh (bronze to report and publication, with every check) and the
school outbox that follows it (pre-filled return templates and feedback workbooks).

The outbox is its own job, started by ``outbox_after_refresh`` when a refresh succeeds: the
warehouse, report and BI publication do not wait for thousands of workbooks to be written,
and a problem writing them cannot fail the refresh.
"""

import dagster as dg

REFRESH_JOB_NAME = "nightly_refresh"
OUTBOX_JOB_NAME = "school_outbox"
OUTBOX_GROUP = "outbox"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("quality", OUTBOX_GROUP),
    description="Load whatever landed, rebuild silver and gold, run every check, "
    "rebuild the report and publish.",
)

outbox_job = dg.define_asset_job(
    OUTBOX_JOB_NAME,
    selection=dg.AssetSelection.groups(OUTBOX_GROUP),
    description="Write the schools' pre-filled return templates and the feedback on every "
    "return received (only workbooks whose content changed are written).",
)
