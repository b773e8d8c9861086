"""The refresh job: every asset, bronze to report, with its checks."""

import dagster as dg

REFRESH_JOB_NAME = "nightly_refresh"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("quality"),
    description="Load whatever landed, rebuild silver and gold, run every check, "
    "rebuild the report and publish.",
)
