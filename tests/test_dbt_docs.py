"""Every silver and gold model, every seed, and every column they declare has a description;
every source table is described. Read from the manifest `make install` builds."""

from __future__ import annotations

import json

import pytest

from orchestration.dbt_project import DBT_PROJECT


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(DBT_PROJECT.manifest_path.read_text())


def documented_nodes(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] == "seed" or (
            node["resource_type"] == "model" and node["config"].get("schema") in ("silver", "gold")
        ):
            yield node


def test_every_silver_gold_model_and_seed_is_described(manifest):
    nodes = list(documented_nodes(manifest))
    assert any(n["name"] == "srp_places" for n in nodes)
    undocumented = [n["name"] for n in nodes if not n["description"].strip()]
    assert undocumented == []


def test_every_declared_column_is_described(manifest):
    missing = [
        f"{n['name']}.{c['name']}"
        for n in documented_nodes(manifest)
        for c in n["columns"].values()
        if not c.get("description", "").strip()
    ]
    assert missing == []


def test_every_silver_gold_model_declares_columns(manifest):
    bare = [n["name"] for n in documented_nodes(manifest) if not n["columns"]]
    assert bare == []


def test_every_source_table_is_described(manifest):
    missing = [s["name"] for s in manifest["sources"].values() if not s["description"].strip()]
    assert missing == []
