"""Silver, gold and reference tables: every dbt model and seed is an asset, every dbt test an
asset check (error-severity tests block downstream assets)."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import DBT_PROJECT, TRANSLATOR
from orchestration.pseudonymise import resolve_key
from orchestration.resources import FoldersResource, WarehouseResource


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
        resolve_key(folders.landing_dir())
        # dbt is a subprocess: profiles.yml and the pseudonym plugin read these.
        os.environ["SEND_WAREHOUSE_PATH"] = warehouse.path
        os.environ["SEND_LANDING_DIR"] = folders.landing
        invocation = dbt.cli(["build"], context=context)
        try:
            yield from invocation.stream()
        finally:
            # A failed step must not leave dbt running: it would hold the warehouse's lock.
            if invocation.process.poll() is None:
                invocation.process.terminate()
                invocation.process.wait(timeout=30)

    return dg.Definitions(assets=[send_dbt_models])
