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


def test_each_gold_asset_links_to_its_page_in_the_docs_site():
    """Issue 15 item 3: a gold asset's metadata opens its model's page of `make docs`' site;
    other layers carry no link."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.docs_site import docs_site_path

    graph = defs().resolve_asset_graph()
    gold = [key for key in graph.get_all_asset_keys() if key.path[0] == "gold"]
    assert len(gold) == 10
    site = docs_site_path().as_uri()
    for key in gold:
        link = graph.get(key).metadata["dbt_docs"]
        assert link.url == f"{site}#!/model/model.send_data_platform.{key.path[-1]}", key
    assert "dbt_docs" not in graph.get(dg.AssetKey(["silver", "person"])).metadata
