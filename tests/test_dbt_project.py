"""Properties of the dbt project Dagster relies on."""

from __future__ import annotations

import collections
import json

from orchestration.dbt_project import DBT_PROJECT


def test_dbt_test_names_are_unique_per_model():
    """dagster-dbt names asset checks after dbt test names: two tests with the same name on
    one model make the dbt step fail with 'returned an output multiple times'."""
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    names = collections.Counter(
        (node["name"], node.get("attached_node"))
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    )
    assert [name for name, count in names.items() if count > 1] == []
