"""dbt tests as Dagster checks that explain themselves.

* ``describe_test``: what failing means, for every dbt test in the manifest. Generic tests are
  worded from their type, column and arguments by one catalogue (``WORDINGS``); a singular test
  uses its yml ``description`` or else the first comment of its SQL.
* ``failure_details``: what a check result shows besides dbt's ``failed_row_count``: the path
  of the compiled SQL and, when the test failed, a sample of its failing rows: the compiled SQL
  run again, limited, once dbt has ended. dbt's ``store_failures`` would keep them in a table,
  but it costs ~45 ms of DDL per test on every build (310 tests: ~14 s a night, passing or not);
  running only the failed tests' SQL again costs nothing on a clean night.

Personal data: a test that reads bronze (a source, or an ephemeral staging model over one)
could return identifiers. Its rows are never read into Dagster metadata, whatever it returns:
such a check shows the number of failing rows and the relation it tested only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Mapping

import dagster as dg
import duckdb

SAMPLE_ROWS = 10
CELL_CHARS = 60
GENERIC_FALLBACK = (
    "Fails if the dbt test {name} on {relation} returns any row: see its SQL (compiled_sql) "
    "for what it selects."
)

Node = Mapping[str, Any]


# --- what failing means ---------------------------------------------------------------------


def _columns(names: list[str]) -> str:
    return "(" + ", ".join(names) + ")"


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)


def _not_null(t: "TestFacts") -> str:
    return f"Fails if any row of {t.relation}{t.where} has a NULL {t.kwargs['column_name']}."


def _unique(t: "TestFacts") -> str:
    return (f"Fails if a value of {t.kwargs['column_name']} appears on more than one row of "
            f"{t.relation}{t.where} (NULL passes).")


def _accepted_values(t: "TestFacts") -> str:
    return (f"Fails if {t.kwargs['column_name']} in {t.relation}{t.where} holds a value other "
            f"than {_values(t.kwargs['values'])} (NULL passes).")


def _relationships(t: "TestFacts") -> str:
    return (f"Fails if a {t.kwargs['column_name']} of {t.relation}{t.where} has no row with that "
            f"{t.kwargs['field']} in {t.other_relation} (NULL passes).")


def _unique_combination(t: "TestFacts") -> str:
    return (f"Fails if a {_columns(t.kwargs['columns'])} appears on more than one row of "
            f"{t.relation}{t.where}.")


def _value_between(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if any {k['column_name']} of {t.relation}{t.where} lies outside "
            f"[{k['min_value']}, {k['max_value']}] (NULL passes).")


def _columns_sum_to(t: "TestFacts") -> str:
    return (f"Fails if a row of {t.relation}{t.where} has {' + '.join(t.kwargs['columns'])} "
            f"(NULL as 0) different from its {t.kwargs['total']}.")


def _shares_sum_to_one(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if the {k['share_column']} of a {_columns(k['group_by'])} group of "
            f"{t.relation} do not add up to 1 within {k.get('tolerance', 0.001)} (groups with "
            "no share pass).")


def _sums_match_county(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if, in some academic year, {k['measure']} summed over the school rows, or "
            f"over a roll-up level's rows where {k['rollup_filter']}, differs from the county "
            f"figure of {t.relation}, or a level or the county row is missing for that year.")


def _level_totals_match(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if, for some {k['period_column']}, {k['measure']} summed over a level's "
            f"rows of {t.relation} where {k['row_filter']} differs from the county figure, or a "
            "level or the county row is missing for that period.")


def _matches_bronze_row_count(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if {t.relation} does not have exactly as many rows as bronze."
            f"{k['source_table']} has current rows ({k.get('current', '_valid_to is null')}).")


def _staging_is_sound(t: "TestFacts") -> str:
    k = t.kwargs
    return (f"Fails if the staging model {t.attached_name} (from which {k['checked_with']} is "
            f"built) has more than one row per {_columns(k['key'])}, or a NULL after typing in "
            f"any of {', '.join(k['required'])}. Shows counts only, never values.")


WORDINGS: dict[str, Callable[["TestFacts"], str]] = {
    "not_null": _not_null,
    "unique": _unique,
    "accepted_values": _accepted_values,
    "relationships": _relationships,
    "unique_combination": _unique_combination,
    "value_between": _value_between,
    "columns_sum_to": _columns_sum_to,
    "shares_sum_to_one": _shares_sum_to_one,
    "sums_match_county": _sums_match_county,
    "level_totals_match": _level_totals_match,
    "matches_bronze_row_count": _matches_bronze_row_count,
    "staging_is_sound": _staging_is_sound,
}
"""One wording per generic test type: what a failure means (tests/test_asset_metadata.py fails
when the manifest holds a generic test type that is not here)."""


class TestFacts:
    """What a wording needs to know about one test node."""

    __test__ = False  # not a pytest class

    def __init__(self, manifest: Mapping[str, Any], node: Node):
        self.name = node["name"]
        self.kwargs = (node.get("test_metadata") or {}).get("kwargs") or {}
        attached = tested_node(manifest, node)
        self.attached_name = _node(manifest, attached)["name"] if attached else "?"
        self.relation = relation_label(manifest, attached)
        others = [p for p in node["depends_on"]["nodes"] if p != attached]
        self.other_relation = relation_label(manifest, others[0]) if others else "?"
        where = (node.get("config") or {}).get("where")
        self.where = f" (rows where {where})" if where else ""


def tested_node(manifest: Mapping[str, Any], node: Node) -> str | None:
    """The node a test checks: dbt's attached node, else (singular tests) the model named by
    its `meta.dagster.ref` (the asset Dagster shows it on), else its first parent."""
    if node.get("attached_node"):
        return node["attached_node"]
    parents = node["depends_on"]["nodes"]
    ref = (((node.get("config") or {}).get("meta") or {}).get("dagster") or {}).get("ref") or {}
    named = [p for p in parents if _node(manifest, p)["name"] == ref.get("name")]
    return (named or parents or [None])[0]


def _node(manifest: Mapping[str, Any], unique_id: str) -> Node:
    return manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]


def relation_label(manifest: Mapping[str, Any], unique_id: str | None) -> str:
    """`gold.srp_places`, `bronze.synergy_person`, or `staging model stg_x` (ephemeral)."""
    if not unique_id:
        return "?"
    node = _node(manifest, unique_id)
    if node["resource_type"] == "source":
        return f"{node['schema']}.{node['identifier']}"
    if (node.get("config") or {}).get("materialized") == "ephemeral":
        return f"the ephemeral model {node['name']}"
    return f"{node['schema']}.{node.get('alias') or node['name']}"


def describe_test(manifest: Mapping[str, Any], unique_id: str) -> str:
    """What it means when this test fails, and whether it blocks or warns."""
    node = manifest["nodes"][unique_id]
    test_type = (node.get("test_metadata") or {}).get("name")
    if test_type is None:
        text = node.get("description") or first_comment(node.get("raw_code") or "")
    elif test_type in WORDINGS:
        text = WORDINGS[test_type](TestFacts(manifest, node))
    else:
        text = None
    if not text:
        facts = TestFacts(manifest, node)
        text = GENERIC_FALLBACK.format(name=facts.name, relation=facts.relation)
    severity = ((node.get("config") or {}).get("severity") or "error").lower()
    effect = ("Blocking: a failure stops everything downstream." if severity == "error"
              else "A warning: the run goes on and the data team is alerted.")
    return f"{text} {effect}"


_COMMENT_LINE = re.compile(r"^\s*--\s?(.*)$")
_JINJA_COMMENT = re.compile(r"\{#-?(.*?)-?#\}", re.S)
# a {{ }} or {% %} block ending a line (a config's dict may hold "}}" before its end)
_JINJA_BLOCK = re.compile(r"\{\{.*?\}\}[ \t]*$|\{%.*?%\}[ \t]*$", re.S | re.M)


def first_comment(sql: str) -> str | None:
    """The first comment of a SQL file (consecutive `--` lines, or a `{# #}` block)."""
    jinja = _JINJA_COMMENT.search(sql)
    lines: list[str] = []
    for line in _JINJA_BLOCK.sub("", sql).splitlines():
        match = _COMMENT_LINE.match(line)
        if match:
            lines.append(match.group(1).strip())
        elif lines or line.strip():
            break
    if lines:
        return " ".join(lines)
    return " ".join(jinja.group(1).split()) if jinja else None


def generic_test_types(manifest: Mapping[str, Any]) -> set[str]:
    return {
        n["test_metadata"]["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("test_metadata")
    }


# --- what a check result shows ----------------------------------------------------------------


def reads_bronze(manifest: Mapping[str, Any], unique_id: str) -> bool:
    """Whether a node reads a bronze source, directly or through ephemeral models (which are
    inlined into its SQL)."""
    for parent in manifest["parent_map"].get(unique_id, []):
        if parent.startswith("source."):
            return True
        node = manifest["nodes"].get(parent) or {}
        if (node.get("config") or {}).get("materialized") == "ephemeral" and reads_bronze(manifest, parent):
            return True
    return False


def compiled_sql_path(target_path: Path, node: Node) -> Path:
    """Where dbt writes a node's compiled SQL (dbt's ParsedNode.get_target_write_path)."""
    original = node["original_file_path"]
    if Path(node["path"]).name == Path(original).name:
        relative = original
    else:  # many nodes in one file (generic tests in a yml)
        relative = str(Path(original) / node["path"])
    return Path(target_path) / "compiled" / node["package_name"] / relative


def failure_details(
    con: duckdb.DuckDBPyConnection | None,
    manifest: Mapping[str, Any],
    unique_id: str,
    target_path: Path,
    passed: bool,
    failed_rows: int | None,
) -> dict[str, Any]:
    """Metadata for one dbt check result: the compiled SQL's path, the relation tested, and
    for a failure a markdown sample of the failing rows (never for a test that reads bronze),
    from the compiled SQL run again on ``con`` (read only, after dbt has ended)."""
    node = manifest["nodes"][unique_id]
    attached = tested_node(manifest, node)
    sql_path = compiled_sql_path(target_path, node)
    metadata: dict[str, Any] = {
        "compiled_sql": dg.MetadataValue.path(str(sql_path)),
        "tested_relation": relation_label(manifest, attached),
    }
    if passed:
        return metadata
    if reads_bronze(manifest, unique_id):
        sample = (f"Not shown: this test reads bronze, where identifiers live. "
                  f"{failed_rows if failed_rows is not None else 'Some'} failing row(s); run "
                  "the compiled SQL against the warehouse to list them.")
    elif con is None:
        sample = (f"{failed_rows if failed_rows is not None else 'Some'} failing row(s), not "
                  "read: run the compiled SQL against the warehouse to list them.")
    else:
        sample = failing_rows_markdown(con, sql_path, failed_rows)
    metadata["failed_rows_sample"] = dg.MetadataValue.md(sample)
    return metadata


def failing_rows_markdown(con: duckdb.DuckDBPyConnection, sql_path: Path,
                          failed_rows: int | None, limit: int = SAMPLE_ROWS) -> str:
    """The first ``limit`` rows the test's compiled SQL selects, as a markdown table."""
    try:
        sql = Path(sql_path).read_text(encoding="utf-8")
        cursor = con.execute(f"select * from ({sql}\n) as failing limit {int(limit)}")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except (OSError, duckdb.Error) as exc:
        return f"The failing rows could not be read again ({type(exc).__name__}): run the compiled SQL."
    total = failed_rows if failed_rows is not None else len(rows)
    head = f"{len(rows)} of {total} failing row(s), from the test's compiled SQL:\n\n"
    return head + markdown_table(columns, rows)


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"
