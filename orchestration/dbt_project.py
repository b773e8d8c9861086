"""The dbt project as Dagster sees it, and how dbt models map to asset keys and groups."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.dbt_checks import describe_test
from orchestration.docs_site import model_docs_url
from orchestration.settings import DBT_PROJECT_DIR

# dbt runs as a subprocess: make sure the venv's `dbt` is found even when the venv is not
# activated (e.g. `.venv/bin/dagster dev`).
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The manifest is built by `make install` (dbt parse), again whenever dbt code changed (make ui,
# make run), never on code-location load: prepare_if_dev() ran `dbt parse` under `dg dev` in
# every process that loads the definitions (the code servers and each run's worker, seconds
# each, orphaned when a code server died) and left a parse state the next build re-parsed.

# Gold is rebuilt by the 02:00 refresh: if it has not been by 07:00 UK time, the UI flags it
# stale, so a missed night shows before anyone opens a report.
GOLD_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 7 * * *", lower_bound_delta=dt.timedelta(hours=6), timezone="Europe/London"
)


class SendDbtTranslator(DagsterDbtTranslator):
    """Asset keys read as <layer>/<table>: bronze/synergy_person, silver/person, gold/srp_places,
    reference/ref_districts; groups are the layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        layer = self._layer(dbt_resource_props)
        name = dbt_resource_props["name"]
        if layer == "silver" and name.startswith("silver_"):
            name = name.removeprefix("silver_")
        return dg.AssetKey([layer, name])

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.group_name == "gold":
            spec = spec.replace_attributes(freshness_policy=GOLD_FRESHNESS).merge_attributes(
                metadata={"dbt_docs": dg.MetadataValue.url(model_docs_url(unique_id))})
        return spec

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """Every dbt test says what its failure means (dagster-dbt reads only `meta.description`,
        which no test has: "No description provided")."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(description=describe_test(manifest, unique_id)) if spec else None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)

    @staticmethod
    def _layer(props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        schema = (props.get("config") or {}).get("schema")
        return schema or "staging"


# Code references: each model's and seed's asset links to its .sql / .csv file (owners and tags
# of every asset, dbt or Python: orchestration/asset_catalog.py).
TRANSLATOR = SendDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True)
)
