"""Facts read from dbt's manifest.json (built by `make install`), without importing dbt."""

from __future__ import annotations

import json
from pathlib import Path


def table_model_names(manifest_path: Path, schema: str) -> list[str]:
    """Names of the dbt models that build a relation in ``schema`` (ephemeral ones build none);
    none when the manifest does not exist yet."""
    return sorted(table_model_nodes(manifest_path, schema))


def table_model_nodes(manifest_path: Path, schema: str) -> dict[str, dict]:
    """The manifest nodes (by model name) of the dbt models that build a relation in
    ``schema``; none when the manifest does not exist yet."""
    path = Path(manifest_path)
    if not path.exists():
        return {}
    nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"].values()
    return {
        node["name"]: node
        for node in nodes
        if node["resource_type"] == "model"
        and (node.get("config") or {}).get("schema") == schema
        and (node.get("config") or {}).get("materialized") != "ephemeral"
    }
