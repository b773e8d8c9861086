"""BI users get the definitions (issue 15 items 4 and 9), on the file a real refresh published:
every published table and column carries dbt's description (the text dbt docs and Dagster
show) as a DuckDB comment and as Parquet field metadata, a data dictionary sits beside the file,
no table mixes DECIMAL and DOUBLE, and every Python example in docs/BI.md runs against it.

One small-sample refresh for the session (conftest `small_refreshed`); nothing here changes it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.dbt_project import DBT_PROJECT, TRANSLATOR
from orchestration.publish import PUBLISHED_FILE

REPO_ROOT = Path(__file__).resolve().parent.parent
BI_DOC = REPO_ROOT / "docs" / "BI.md"
SRP_PLACES = "model.send_data_platform.srp_places"
PUBLISHED_SCHEMAS = ("gold", "external", "meta")


@pytest.fixture(scope="module")
def published(small_refreshed) -> Path:
    return small_refreshed / "published"


@pytest.fixture(scope="module")
def con(published):
    with duckdb.connect(str(published / PUBLISHED_FILE), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def comments(con) -> dict[tuple[str, str, str], str | None]:
    """(schema, table, column) -> comment; column '' for the table's own comment."""
    found = {(s, t, ""): c for s, t, c in con.sql(
        "select schema_name, table_name, comment from duckdb_tables() "
        f"where schema_name in {PUBLISHED_SCHEMAS}").fetchall()}
    found |= {(s, t, col): c for s, t, col, c in con.sql(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        f"where schema_name in {PUBLISHED_SCHEMAS}").fetchall()}
    return found


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))


def test_every_published_table_and_column_has_a_comment(comments):
    assert len([key for key in comments if key[0] == "external" and key[2]]) > 300
    assert [key for key, comment in comments.items() if not comment] == []


def test_the_comments_are_the_text_of_dbt_docs_and_of_dagster(comments, manifest):
    node = manifest["nodes"][SRP_PLACES]
    spec = TRANSLATOR.get_asset_spec(manifest, SRP_PLACES, DBT_PROJECT)
    dagster_columns = {c.name: c.description for c in spec.metadata["dagster/column_schema"].columns}
    table_comment = comments[("gold", "srp_places", "")]
    assert table_comment == node["description"].strip()
    assert spec.description.startswith(table_comment)
    for column in ("pupils_on_roll", "occupancy_pct", "designation"):
        comment = comments[("gold", "srp_places", column)]
        assert comment == node["columns"][column]["description"].strip()
        assert comment == dagster_columns[column].strip()
        assert comments[("external", "srp_places", column)] == comment  # the release: same meaning


def test_each_flag_of_the_release_explains_its_symbols(comments):
    flag = comments[("external", "srp_places", "pupils_on_roll_flag")]
    assert flag.startswith("Why pupils_on_roll is empty, as a GSS symbol: c suppressed")
    assert "x not available; z not applicable (a rate over zero)" in flag
    assert comments[("external", "srp_places", "")].startswith("The audited release of gold.srp_places")
    assert comments[("external", "release_audit", "passed")] == "True when the audit passed."


def test_parquet_fields_carry_the_descriptions(published, comments):
    parquet = published / "current" / "parquet"
    files = sorted(parquet.glob("*/*.parquet"))
    assert len(files) == len({(s, t) for s, t, _ in comments})
    for path in files:
        schema, table = path.parent.name, path.stem
        arrow_schema = pq.read_schema(path)
        assert arrow_schema.metadata[b"description"].decode() == comments[(schema, table, "")]
        for field in arrow_schema:
            assert field.metadata[b"description"].decode() == comments[(schema, table, field.name)], field.name


def test_a_data_dictionary_sits_beside_the_published_file(published, con, comments):
    rows = list(csv.DictReader((published / "data_dictionary.csv").open(encoding="utf-8")))
    types = {(s, t, c): d for s, t, c, d in con.sql(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_schema in {PUBLISHED_SCHEMAS}").fetchall()}
    assert {(r["schema"], r["table"], r["column"]): r["type"] for r in rows} == types
    assert all(r["description"] == comments[(r["schema"], r["table"], r["column"])] for r in rows)
    by_key = {(r["schema"], r["table"], r["column"]): r for r in rows}
    assert by_key[("gold", "srp_places", "pupils_on_roll")]["disclosure_role"] == "count"
    assert by_key[("external", "srp_places", "occupancy_pct")]["disclosure_role"] == "rate"
    assert by_key[("external", "srp_places", "pupils_on_roll_flag")]["disclosure_role"] == ""
    assert by_key[("gold", "srp_places", "level")]["disclosure_role"] == ""
    markdown = (published / "data_dictionary.md").read_text(encoding="utf-8")
    assert "\n## external.srp_places\n" in markdown
    assert "| `pupils_on_roll` | INTEGER | count | Pupils in the SRP on census day" in markdown
    version_folder = (published / "current").resolve()
    assert (version_folder / "data_dictionary.csv").read_bytes() == (published / "data_dictionary.csv").read_bytes()


def test_no_published_table_mixes_decimal_and_double(con):
    """Before: ehcp_timeliness (DfE rates), srp_finance (funding rates) and srp_kpis
    (suspension days) held DECIMAL beside DOUBLE."""
    fractional = con.sql(
        "select table_schema || '.' || table_name, list(distinct regexp_extract(data_type, '^[A-Z]+')) "
        "from information_schema.columns where table_schema in ('gold', 'external') and "
        "regexp_matches(data_type, '^(DECIMAL|DOUBLE|FLOAT|REAL|NUMERIC)') group by all").fetchall()
    mixed = {table: sorted(kinds) for table, kinds in fractional if len(kinds) > 1}
    assert mixed == {}
    assert {kind for _, kinds in fractional for kind in kinds} == {"DOUBLE"}


def python_examples(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


def test_every_python_example_in_the_bi_doc_runs_on_a_published_file(published, tmp_path, monkeypatch):
    """Run from a folder whose data/published is the refresh's published folder, as a BI user
    runs them from the platform's folder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "published").symlink_to(published)
    monkeypatch.chdir(tmp_path)
    examples = python_examples(BI_DOC.read_text(encoding="utf-8"))
    assert len(examples) >= 4
    defined: dict = {}
    for number, example in enumerate(examples, 1):
        namespace: dict = {}  # each example on its own, as a reader copies it
        exec(compile(example, f"docs/BI.md python example {number}", "exec"), namespace)
        defined |= namespace
    assert len(defined["places"]) > 0 and defined["version"] == published.joinpath("current").resolve().name
    assert defined["occupancy_description"] == defined["columns"].set_index("column_name").loc[
        "occupancy_pct", "comment"]
