"""Silver, gold and reference tables: every dbt model and seed is an asset, every dbt test an
asset check (error-severity tests block downstream assets).

When nothing dbt reads has changed since the last successful full build (see
orchestration/build_state.py), the build is skipped: dbt's assets are skippable, so the
report, publication and outbox that depend on them are skipped too and the previous outputs
stay as they are; the checks' last results are re-stated and the assets observed as unchanged
(orchestration/unchanged_build.py), so a quiet night shows green, not skipped. Tag a run
`send/force_rebuild=true` to build regardless.
"""

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.build_state import inputs_fingerprint, last_built_fingerprint, record_build
from orchestration.dbt_project import DBT_PROJECT, TRANSLATOR
from orchestration.dbt_target import keep_parse_state, new_invocation_folder, prune_in_background
from orchestration.dbt_events import build_events_with_metadata
from orchestration.pseudonymise import resolve_key
from orchestration.quality.gx_warm_up import start_warm_up
from orchestration.resources import FoldersResource, WarehouseResource
from orchestration.unchanged_build import restate_unchanged

FORCE_TAG = "send/force_rebuild"
# A subset (e.g. one asset materialised from the UI) caches only the selected models' schemas
# and writes no manifest.json / run_results.json (0.6 s); the nightly full build writes both.
SUBSET_FLAGS = ("--cache-selected-only", "--no-write-json")


def _target_dir() -> Path:
    return Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path


@dg.definitions
def dbt_definitions() -> dg.Definitions:
    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
    )
    def send_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        folders: FoldersResource,
    ):
        # Fail before dbt starts when the pseudonym key is missing or not allowed here.
        key = resolve_key(folders.landing_dir())
        full_build = not context.is_subset
        fingerprint, unchanged = None, False  # only a full build is skipped or recorded
        if full_build:
            with warehouse.connect() as con:
                fingerprint = inputs_fingerprint(con, DBT_PROJECT.manifest_path, key)
                unchanged = fingerprint == last_built_fingerprint(con)
        if unchanged and context.run.tags.get(FORCE_TAG) != "true":
            context.log.info(
                "No bronze file, dbt code or key changed since the last successful build: "
                f"dbt build skipped (tag {FORCE_TAG}=true to force it)."
            )
            yield from restate_unchanged(context)  # last results stand: orchestration/unchanged_build.py
            return
        selected_checks = context.run.asset_check_selection
        start_warm_up(None if selected_checks is None else [k.name for k in selected_checks])
        # dbt is a subprocess: profiles.yml and the pseudonym plugin read these.
        os.environ["SEND_WAREHOUSE_PATH"] = warehouse.path
        os.environ["SEND_LANDING_DIR"] = folders.landing
        target = new_invocation_folder(_target_dir(), warehouse.path, context.run_id)
        pruning = prune_in_background(_target_dir())
        invocation = dbt.cli(["build", *(() if full_build else SUBSET_FLAGS)],
                             context=context, target_path=target)
        try:
            yield from build_events_with_metadata(invocation, lambda: warehouse.connect(read_only=True))
        finally:
            # A failed step must not leave dbt running: it would hold the warehouse's lock.
            if invocation.process.poll() is None:
                invocation.process.terminate()
                invocation.process.wait(timeout=30)
        if invocation.is_successful():
            keep_parse_state(_target_dir(), invocation.target_path, warehouse.path)
        pruning.join()
        if full_build and invocation.is_successful():
            with warehouse.connect() as con:
                record_build(con, fingerprint, context.run_id)

    return dg.Definitions(assets=[send_dbt_models])
