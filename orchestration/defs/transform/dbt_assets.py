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
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.build_state import inputs_fingerprint, last_built_fingerprint, record_build
from orchestration.dbt_project import DBT_PROJECT, TRANSLATOR
from orchestration.dbt_events import build_events_with_metadata
from orchestration.pseudonymise import resolve_key
from orchestration.resources import FoldersResource, WarehouseResource
from orchestration.unchanged_build import restate_unchanged

FORCE_TAG = "send/force_rebuild"
PARTIAL_PARSE = "partial_parse.msgpack"
KEEP_INVOCATIONS = 5  # dbt target folders of the latest builds kept for debugging


def _target_dir() -> Path:
    return Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path


def keep_parse_state(invocation_target: Path) -> None:
    """dbt parses the whole project again (~8 s) when the saved parse state was made with
    another profile (another warehouse path, as after `make install`). Each build starts from
    the project's state, so keep this build's state for the next one (replaced atomically:
    another build may be copying it)."""
    state = Path(invocation_target) / PARTIAL_PARSE
    if state.is_file():
        temporary = _target_dir() / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copyfile(state, temporary)
        os.replace(temporary, _target_dir() / PARTIAL_PARSE)


def prune_invocation_folders(keep: int = KEEP_INVOCATIONS) -> list[Path]:
    """Each build writes its own target folder (~13 MB at scale 1): keep the newest ``keep``."""
    folders = sorted((p for p in _target_dir().glob("send_dbt_models-*") if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return folders[keep:]


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
        with warehouse.connect() as con:
            fingerprint = inputs_fingerprint(con, DBT_PROJECT.manifest_path, key)
            unchanged = fingerprint == last_built_fingerprint(con)
        full_build = not context.is_subset
        if unchanged and full_build and context.run.tags.get(FORCE_TAG) != "true":
            context.log.info(
                "No bronze file, dbt code or key changed since the last successful build: "
                f"dbt build skipped (tag {FORCE_TAG}=true to force it)."
            )
            yield from restate_unchanged(context)  # last results stand: orchestration/unchanged_build.py
            return
        # dbt is a subprocess: profiles.yml and the pseudonym plugin read these.
        os.environ["SEND_WAREHOUSE_PATH"] = warehouse.path
        os.environ["SEND_LANDING_DIR"] = folders.landing
        invocation = dbt.cli(["build"], context=context)
        try:
            yield from build_events_with_metadata(invocation, lambda: warehouse.connect(read_only=True))
        finally:
            # A failed step must not leave dbt running: it would hold the warehouse's lock.
            if invocation.process.poll() is None:
                invocation.process.terminate()
                invocation.process.wait(timeout=30)
        if invocation.is_successful():
            keep_parse_state(invocation.target_path)
        prune_invocation_folders()
        if full_build and invocation.is_successful():
            with warehouse.connect() as con:
                record_build(con, fingerprint, context.run_id)

    return dg.Definitions(assets=[send_dbt_models])
