"""Row counts and typed column schemas of warehouse tables, as Dagster's standard table metadata
(`dagster/row_count`, `dagster/column_schema`), read with one connection and two queries
however many tables are asked for."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import dagster as dg
import duckdb

Relation = tuple[str, str]  # (schema, table)
ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    relations: Iterable[Relation],
    descriptions: Mapping[Relation, Mapping[str, str]] | None = None,
) -> dict[Relation, dict[str, Any]]:
    """For each existing table: its row count (count(*)) and its columns with DuckDB's types
    (information_schema) and the given column descriptions. Missing tables are left out."""
    columns = _columns(con, set(relations))
    counts = _row_counts(con, sorted(columns))
    descriptions = descriptions or {}
    return {
        relation: {
            ROW_COUNT: dg.MetadataValue.int(counts[relation]),
            COLUMN_SCHEMA: dg.MetadataValue.table_schema(dg.TableSchema(columns=[
                dg.TableColumn(name, type=data_type,
                               description=descriptions.get(relation, {}).get(name) or None)
                for name, data_type in table_columns
            ])),
        }
        for relation, table_columns in columns.items()
    }


def _columns(con: duckdb.DuckDBPyConnection, wanted: set[Relation]) -> dict[Relation, list]:
    if not wanted:
        return {}
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type "
        "from information_schema.columns "
        "where table_catalog = current_database() and table_schema in (select unnest(?)) "
        "order by table_schema, table_name, ordinal_position",
        [sorted({schema for schema, _ in wanted})],
    ).fetchall()
    found: dict[Relation, list] = {}
    for schema, table, column, data_type in rows:
        if (schema, table) in wanted:
            found.setdefault((schema, table), []).append((column, data_type))
    return found


def _row_counts(con: duckdb.DuckDBPyConnection, relations: list[Relation]) -> dict[Relation, int]:
    if not relations:
        return {}
    sql = " union all ".join(
        f"select {i} as i, count(*) as n from {_quoted(s)}.{_quoted(t)}"
        for i, (s, t) in enumerate(relations)
    )
    return {relations[i]: n for i, n in con.execute(sql).fetchall()}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
