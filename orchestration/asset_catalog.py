"""Who owns each asset, what it is built from, and where its code is: the same for every asset of
the code location, dbt or Python (definitions.py applies it once to everything it loads).

* owner: the SEND data team (``team:send-data``) unless an asset names its own;
* tags: ``layer`` (bronze, silver, gold, reference, publish, report, outbox, ...: the asset's
  group) and one ``source/<system>`` tag per source system the asset is built from, followed
  through the asset graph to the bronze tables (``source/synergy``, ``source/gias``,
  ``source/srp_register``, ``source/school_returns``, ``source/dfe``, ``source/sen2``,
  ``source/postcodes``);
* code reference: the Python function that builds it (dbt assets already point at their model's
  .sql file: orchestration/dbt_project.py)."""

from __future__ import annotations

import warnings
from typing import Iterable, Sequence

import dagster as dg
from dagster_shared.record import replace

OWNER = "team:send-data"
LAYER_TAG = "layer"
SOURCE_TAG_PREFIX = "source/"
BRONZE = "bronze"
# bronze table name -> the source system it comes from (landing folder of the data contract)
_SYSTEM_BY_PREFIX = (
    ("synergy_", "synergy"),
    ("gias_", "gias"),
    ("srp_register", "srp_register"),
    ("return_", "school_returns"),
    ("dfe_", "dfe"),
    ("sen2_", "sen2"),
    ("postcodes", "postcodes"),
)


def source_system(bronze_table: str) -> str | None:
    """`synergy_person` -> `synergy`; None for the load audit (file_registry, load_errors)."""
    return next((system for prefix, system in _SYSTEM_BY_PREFIX
                 if bronze_table.startswith(prefix)), None)


def with_catalog(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with an owner, tags and a code reference on every asset."""
    assets = list(defs.assets or [])
    systems = source_systems_by_key(_specs(assets))
    catalogued = [_catalogued(a, systems) for a in assets]
    return replace(defs, assets=catalogued)


def source_systems_by_key(specs: Iterable[dg.AssetSpec]) -> dict[dg.AssetKey, set[str]]:
    """For every asset key: the source systems of the bronze tables it is built from."""
    deps = {spec.key: [dep.asset_key for dep in spec.deps] for spec in specs}
    systems: dict[dg.AssetKey, set[str]] = {}

    def visit(key: dg.AssetKey, seen: frozenset) -> set[str]:
        if key in systems:
            return systems[key]
        found: set[str] = set()
        if key.path[0] == BRONZE and source_system(key.path[-1]):
            found.add(source_system(key.path[-1]))
        for upstream in deps.get(key, []):
            if upstream not in seen:
                found |= visit(upstream, seen | {key})
        systems[key] = found
        return found

    for key in deps:
        visit(key, frozenset())
    return systems


def catalogue_tags(layer: str | None, systems: Iterable[str]) -> dict[str, str]:
    tags = {SOURCE_TAG_PREFIX + system: "" for system in sorted(systems)}
    if layer:
        tags[LAYER_TAG] = layer
    return tags


def _specs(assets: Sequence) -> list[dg.AssetSpec]:
    specs: list[dg.AssetSpec] = []
    for item in assets:
        if isinstance(item, dg.AssetSpec):
            specs.append(item)
        elif isinstance(item, dg.AssetsDefinition):
            specs.extend(item.specs)
    return specs


def _catalogued(item, systems: dict[dg.AssetKey, set[str]]):
    if isinstance(item, dg.AssetsDefinition) and item.keys and not _has_code_references(item):
        with warnings.catch_warnings():  # beta API: no warning on every code-location load
            warnings.simplefilter("ignore", dg.BetaWarning)
            item = dg.with_source_code_references([item])[0]

    def add(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(
            owners=list(spec.owners) or [OWNER],
            tags={**catalogue_tags(spec.group_name, systems.get(spec.key, ())), **spec.tags},
        )

    if isinstance(item, dg.AssetSpec):
        return add(item)
    if isinstance(item, dg.AssetsDefinition) and item.keys:
        return item.map_asset_specs(add)
    return item


def _has_code_references(assets_def: dg.AssetsDefinition) -> bool:
    return all("dagster/code_references" in assets_def.metadata_by_key.get(key, {})
               for key in assets_def.keys)
