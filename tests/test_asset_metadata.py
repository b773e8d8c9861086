"""Asset metadata and checks that explain themselves (issue 15 items 1 and 2).

One small-sample warehouse is built for the module (a full refresh of the scale-0.02 sample, in
process, as `make run` does it): every dbt and bronze materialisation must carry
`dagster/row_count` equal to count(*) and a `dagster/column_schema` with DuckDB's types; every
asset an owner, a layer tag and a code reference; every dbt check a description of what failing
means. Then gold.srp_places and silver.silver_person are corrupted in that warehouse and only
their checks run again through Dagster: a failed check shows a sample of its failing rows and
its compiled SQL, except a test that reads bronze, which shows a count only.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dbt_checks import (
    GENERIC_FALLBACK,
    WORDINGS,
    describe_test,
    generic_test_types,
    markdown_table,
)
from tests.conftest import refresh_platform

SRP_PLACES = dg.AssetKey(["gold", "srp_places"])
PERSON = dg.AssetKey(["silver", "person"])
UNIQUE_SRP_PLACES = "unique_combination_srp_places_level__level_key__academic_year__phase__designation"
REQUEST = dg.AssetKey(["silver", "request"])
# reads bronze; silver_request is no parent of srp_places, so dbt runs both tests in one build
REQUEST_MATCHES_BRONZE = "matches_bronze_row_count_silver_request_synergy_request"


@pytest.fixture(scope="module")
def platform(small_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("asset_metadata")
    with refresh_platform(small_landing, root) as (landing, job, instance):
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        checks = {(e.asset_key.to_user_string(), e.check_name): e
                  for e in result.get_asset_check_evaluations()}
        yield {"root": root, "result": result, "instance": instance, "checks": checks,
               "manifest": build_manifest(checks), "warehouse": root / "warehouse.duckdb"}


def build_manifest(checks: dict) -> dict:
    """The manifest dbt wrote for the build itself, so the yml as it is now with its
    store_failures config: in the build's target folder, where a check's compiled SQL is."""
    path = Path(checks[("gold/srp_places", UNIQUE_SRP_PLACES)].metadata["compiled_sql"].value)
    target = next(p for p in path.parents if p.name == "compiled").parent
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def materialized(platform) -> dict[str, dict]:
    return {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
            for e in platform["result"].get_asset_materialization_events()}


@pytest.fixture(scope="module")
def check_results(platform) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return platform["checks"]


@pytest.fixture(scope="module")
def run_manifest(platform) -> dict:
    return platform["manifest"]


@pytest.fixture(scope="module")
def repository(platform):
    from orchestration.definitions import defs

    return defs().get_repository_def()


def warehouse_tables(warehouse: Path) -> dict[tuple[str, str], tuple[int, list[tuple[str, str]]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns: dict[tuple[str, str], list] = {}
        for schema, table, column, data_type in con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('bronze', 'silver', 'gold', 'reference') "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
        return {rel: (con.execute(f'select count(*) from {rel[0]}."{rel[1]}"').fetchall()[0][0], cols)
                for rel, cols in columns.items()}


def relation_of(key: str) -> tuple[str, str]:
    layer, name = key.split("/")
    if layer == "silver":
        name = f"silver_{name}" if not name.startswith("silver_") else name
    return layer, name


# --- item 1: row counts and typed columns on every table materialisation ----------------------


def test_every_dbt_and_bronze_table_carries_its_row_count_and_duckdb_types(platform, materialized):
    tables = warehouse_tables(platform["warehouse"])
    keys = [k for k in materialized if k.split("/")[0] in ("bronze", "silver", "gold", "reference")]
    assert len(keys) > 60
    for key in keys:
        layer, name = relation_of(key)
        relation = (layer, name) if (layer, name) in tables else (layer, key.split("/")[1])
        rows, columns = tables[relation]
        metadata = materialized[key]
        assert metadata["dagster/row_count"].value == rows, key
        schema = metadata["dagster/column_schema"].value
        assert [(c.name, c.type) for c in schema.columns] == columns, key
    gold = materialized["gold/srp_places"]["dagster/column_schema"].value
    assert all(c.type != "?" for c in gold.columns)
    assert {c.name: c.type for c in gold.columns}["pupils_on_roll"] in ("BIGINT", "INTEGER", "HUGEINT")
    # dbt's column descriptions travel with the types
    level = next(c for c in gold.columns if c.name == "level")
    assert level.description


# --- item 2: owners, tags, code references --------------------------------------------------


def test_every_asset_has_an_owner_a_layer_tag_and_a_code_reference(repository):
    graph = repository.asset_graph
    assert len(list(graph.get_all_asset_keys())) > 60
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.owners == ["team:send-data"], key
        assert node.tags.get("layer") == node.group_name, key
        references = node.metadata["dagster/code_references"].code_references
        assert references and all(Path(r.file_path).is_file() for r in references), key
    srp_places = graph.get(SRP_PLACES)
    [sql] = srp_places.metadata["dagster/code_references"].code_references
    assert sql.file_path.endswith("dbt_project/models/gold/srp/srp_places.sql")
    assert {"source/synergy", "source/srp_register", "source/gias"} <= set(srp_places.tags)
    person = graph.get(PERSON)
    assert {t for t in person.tags if t.startswith("source/")} == {  # either source feeds it
        "source/synergy", "source/sen2", "source/postcodes"}  # (SEN2 homes: postcode lookup)
    assert "source/synergy" in graph.get(dg.AssetKey(["bronze", "synergy_person"])).tags


# --- item 2: checks that explain themselves --------------------------------------------------


def test_every_generic_test_type_of_the_manifest_has_a_wording(run_manifest):
    assert generic_test_types(run_manifest) - set(WORDINGS) == set()


def test_every_dbt_check_says_what_failing_means(repository, run_manifest):
    graph = repository.asset_graph
    descriptions = {
        key.name: graph.get_check_spec(key).description
        for key in graph.asset_check_keys
    }
    dbt_tests = [n for n in run_manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(dbt_tests) > 250
    for node in dbt_tests:
        text = descriptions[node["name"]]
        assert text == describe_test(run_manifest, node["unique_id"]), node["name"]
        if not node.get("test_metadata"):  # singular: its own words, not the generic text
            assert "returns any row" not in text, node["name"]
    assert descriptions["not_null_srp_places_level"] == (
        "Fails if any row of gold.srp_places has a NULL level. "
        "Blocking: a failure stops everything downstream.")
    assert descriptions[UNIQUE_SRP_PLACES] == (
        "Fails if a (level, level_key, academic_year, phase, designation) appears on more than "
        "one row of gold.srp_places. Blocking: a failure stops everything downstream.")
    assert descriptions["assert_envelope_share_steady"].startswith(
        "The share of the SRP funding envelope the council's funding uses moves by less than")
    assert descriptions["assert_envelope_share_steady"].endswith(
        "A warning: the run goes on and the data team is alerted.")


def test_a_test_type_without_a_wording_gets_a_clear_generic_text(run_manifest):
    manifest = json.loads(json.dumps(run_manifest))
    node = next(n for n in manifest["nodes"].values() if n["name"] == "not_null_srp_places_level")
    node["test_metadata"]["name"] = "brand_new_test"
    assert describe_test(manifest, node["unique_id"]) == GENERIC_FALLBACK.format(
        name="not_null_srp_places_level", relation="gold.srp_places"
    ) + " Blocking: a failure stops everything downstream."
    assert generic_test_types(manifest) - set(WORDINGS) == {"brand_new_test"}


def test_no_test_stores_its_failing_rows(run_manifest):
    """Failing rows are never copied into the warehouse (no schema of identifiers from bronze,
    no DDL per test on every build): a failed check runs its compiled SQL again instead."""
    stored = [uid for uid, node in run_manifest["nodes"].items()
              if node["resource_type"] == "test" and node["config"]["store_failures"]]
    assert stored == []


def test_passing_checks_carry_their_compiled_sql(check_results):
    result = check_results[("gold/srp_places", UNIQUE_SRP_PLACES)]
    assert result.passed
    sql = Path(result.metadata["compiled_sql"].value)
    assert sql.is_file() and '"gold"."srp_places"' in sql.read_text()
    assert result.metadata["tested_relation"].value == "gold.srp_places"
    assert "failed_rows_sample" not in result.metadata


def test_a_failed_check_shows_its_failing_rows_and_sql_but_never_rows_from_bronze(platform, repository):
    with duckdb.connect(str(platform["warehouse"])) as con:
        first_school_row = "(select * from gold.srp_places where level = 'school' order by all limit 1)"
        duplicated = con.execute(f"select level, level_key, academic_year, phase, designation "
                                 f"from {first_school_row}").fetchall()[0]
        con.execute(f"insert into gold.srp_places select * from {first_school_row}")
        con.execute("delete from silver.silver_request "
                    "where rowid = (select min(rowid) from silver.silver_request)")
    dbt_assets = repository.assets_defs_by_key[SRP_PLACES]
    checks = [dg.AssetCheckKey(SRP_PLACES, UNIQUE_SRP_PLACES),
              dg.AssetCheckKey(REQUEST, REQUEST_MATCHES_BRONZE)]
    result = dg.materialize([dbt_assets], selection=dg.AssetSelection.checks(*checks),
                            instance=platform["instance"], raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {c.name for c in checks}

    unique = evaluations[UNIQUE_SRP_PLACES]
    assert not unique.passed
    assert unique.metadata["dagster_dbt/failed_row_count"].value == 1
    sample = unique.metadata["failed_rows_sample"].value
    lines = sample.splitlines()
    assert lines[0] == "1 of 1 failing row(s), from the test's compiled SQL:"
    assert lines[2] == "| level | level_key | academic_year | phase | designation | occurrences |"
    assert lines[4] == "| " + " | ".join(map(str, duplicated)) + " | 2 |"
    assert Path(unique.metadata["compiled_sql"].value).is_file()
    build_folder = next(p for p in Path(unique.metadata["compiled_sql"].value).parents
                        if p.name.startswith("send_dbt_models-"))
    assert (build_folder / "dbt.log").is_file()
    assert not (build_folder / "run_results.json").exists()  # a subset writes no artifacts

    from_bronze = evaluations[REQUEST_MATCHES_BRONZE]
    assert not from_bronze.passed
    assert from_bronze.metadata["failed_rows_sample"].value.startswith(
        "Not shown: this test reads bronze, where identifiers live. 1 failing row(s)")
    assert Path(from_bronze.metadata["compiled_sql"].value).is_file()


def test_markdown_table_keeps_one_line_per_row_and_escapes_pipes():
    assert markdown_table(["a", "b"], [("x|y", None), ("two\nlines", 3)]) == (
        "| a | b |\n|---|---|\n| x\\|y | NULL |\n| two lines | 3 |")
