"""The dbt build is skipped only when nothing it reads has changed."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.build_state import inputs_fingerprint, last_built_fingerprint, record_build
from orchestration.ingest import ensure_bronze_schema

KEY = "k" * 32


@pytest.fixture
def con():
    connection = duckdb.connect()
    ensure_bronze_schema(connection)
    connection.execute(
        "insert into bronze.file_registry (source, source_file, sha256, status) "
        "values ('gias', 'gias/edubase_20250901.csv', 'aaa', 'loaded')"
    )
    return connection


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({
        "nodes": {"model.send_data_platform.silver_person": {"checksum": {"checksum": "c1"}}},
        "macros": {"macro.send_data_platform.parse_date": {
            "package_name": "send_data_platform", "macro_sql": "select 1"}},
    }))
    return path


def edit_manifest(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_same_inputs_same_fingerprint(con, manifest):
    assert inputs_fingerprint(con, manifest, KEY) == inputs_fingerprint(con, manifest, KEY)


def test_a_new_landed_file_changes_it(con, manifest):
    before = inputs_fingerprint(con, manifest, KEY)
    con.execute(
        "insert into bronze.file_registry (source, source_file, sha256, status) "
        "values ('synergy', 'synergy/2025-10-03/person.csv', 'bbb', 'loaded')"
    )
    assert inputs_fingerprint(con, manifest, KEY) != before


def test_model_or_macro_code_changes_it(con, manifest):
    before = inputs_fingerprint(con, manifest, KEY)
    edit_manifest(manifest, lambda m: m["nodes"]["model.send_data_platform.silver_person"]
                  ["checksum"].update(checksum="c2"))
    after_model = inputs_fingerprint(con, manifest, KEY)
    edit_manifest(manifest, lambda m: m["macros"]["macro.send_data_platform.parse_date"]
                  .update(macro_sql="select 2"))
    assert len({before, after_model, inputs_fingerprint(con, manifest, KEY)}) == 3


def test_another_key_changes_it(con, manifest):
    assert inputs_fingerprint(con, manifest, KEY) != inputs_fingerprint(con, manifest, "j" * 32)


def test_the_last_recorded_build_is_remembered(con, manifest):
    assert last_built_fingerprint(con) is None
    record_build(con, "first", "run-1")
    record_build(con, "second", "run-2")
    assert last_built_fingerprint(con) == "second"
