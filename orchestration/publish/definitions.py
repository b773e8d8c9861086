"""What every published table and column means, carried to where BI users look.

The text is dbt's: :func:`model_definitions` is the one reader of the model and column
descriptions in dbt's manifest, the same text dbt docs (`make docs`) and Dagster show. The
publisher writes it three ways into each published version:

* ``COMMENT ON TABLE`` / ``COMMENT ON COLUMN`` in ``published.duckdb`` (DuckDB's
  ``duckdb_tables()`` / ``duckdb_columns()``, and the comment column of tools that show them);
* Parquet field metadata (``description`` on each field, and on the schema for the table);
* a data dictionary beside the file: ``data_dictionary.csv`` and ``data_dictionary.md``
  (table, column, type, description, disclosure role where one is declared).

`external.<table>` is the audited release of `gold.<table>`: its columns mean what gold's do,
and each `<column>_flag` gets its own description (the GSS symbols). The two tables the
platform writes itself (`external.release_audit`, `meta.publication`) are described here.
Plain Python: no dbt, no Dagster.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import duckdb
import pyarrow as pa

from orchestration.dbt_manifest import table_model_nodes
from orchestration.disclosure.declarations import node_disclosure
from orchestration.disclosure.names import (
    AUDIT_TABLE,
    FLAG_SUFFIX,
    HIDDEN,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
)

GOLD = "gold"
EXTERNAL = "external"
META = "meta"
DICTIONARY_CSV = "data_dictionary.csv"
DICTIONARY_MD = "data_dictionary.md"
DICTIONARY_FILES = (DICTIONARY_CSV, DICTIONARY_MD)
DICTIONARY_FIELDS = ("schema", "table", "column", "type", "description", "disclosure_role")
DESCRIPTION_KEY = "description"  # Parquet field and schema metadata key


@dataclass(frozen=True)
class ColumnDefinition:
    description: str | None = None
    disclosure_role: str | None = None  # the role declared in the model's yml, if any


@dataclass(frozen=True)
class TableDefinition:
    description: str | None = None
    columns: Mapping[str, ColumnDefinition] = field(default_factory=dict)

    def column(self, name: str) -> ColumnDefinition:
        return self.columns.get(name) or ColumnDefinition()


# Tables the platform writes itself (not dbt models).
RELEASE_AUDIT = TableDefinition(
    "The audit the release passed before it was published (one row): an LP over every sum "
    "across the shareable tables proved that no hidden count can be narrowed to 1-4 "
    "(docs/DISCLOSURE.md).",
    {
        "cells_published": ColumnDefinition("Cells in the release's tables (rows x columns)."),
        "cells_hidden": ColumnDefinition("Cells hidden (NULL, flagged c)."),
        "counts_hidden_primary": ColumnDefinition("Counts hidden because they are 1-4."),
        "counts_hidden_secondary": ColumnDefinition(
            "Counts hidden because they would give a hidden count back through a sum."),
        "repair_rounds": ColumnDefinition("Rounds of extra hiding the audit needed."),
        "relations_checked": ColumnDefinition("Sums across the tables the audit checked."),
        "narrowest_interval": ColumnDefinition(
            "The narrowest range any hidden count could be worked out to."),
        "narrowest_cell": ColumnDefinition("The hidden cell with that narrowest range."),
        "unprotected_cells": ColumnDefinition(
            "Hidden counts that could be narrowed to 1-4 (0 when the audit passed)."),
        "passed": ColumnDefinition("True when the audit passed."),
        "audited_at": ColumnDefinition("When the audit ran (UTC)."),
    },
)
PUBLICATION = TableDefinition(
    "This published version (one row): which version it is, the Dagster run that published "
    "it, and when.",
    {
        "version": ColumnDefinition("Version id: the folder under published/versions/."),
        "run_id": ColumnDefinition("Dagster run id of the refresh that published it."),
        "published_at": ColumnDefinition("When this version was published (UTC)."),
        "source_modified_at": ColumnDefinition("When the warehouse was last written before it."),
    },
)
PLATFORM_TABLES = {f"{EXTERNAL}.{AUDIT_TABLE}": RELEASE_AUDIT, f"{META}.publication": PUBLICATION}


# ---------------------------------------------------------------------------------------------
# Reading the definitions
# ---------------------------------------------------------------------------------------------
def model_definitions(manifest_path: Path, schema: str = GOLD) -> dict[str, TableDefinition]:
    """Each dbt model built in ``schema``: its description and its columns' descriptions and
    declared disclosure roles, as dbt's manifest holds them (none before the first dbt parse)."""
    definitions = {}
    for name, node in table_model_nodes(manifest_path, schema).items():
        _, disclosure = node_disclosure(node)
        definitions[name] = TableDefinition(
            _text(node.get("description")),
            {
                column: ColumnDefinition(_text(info.get("description")),
                                         (disclosure.get(column) or {}).get("role"))
                for column, info in (node.get("columns") or {}).items()
            },
        )
    return definitions


def published_definitions(
    tables: Mapping[str, Mapping[str, str]], models: Mapping[str, TableDefinition]
) -> dict[str, TableDefinition]:
    """The definition of every published table ("schema.table" -> its columns), from the gold
    models' definitions: gold tables as dbt describes them, each external table as the release
    of its gold table (with its flags), and the platform's own tables."""
    return {name: _definition(name, list(columns), models) for name, columns in tables.items()}


def _definition(name: str, columns: list[str], models: Mapping[str, TableDefinition]) -> TableDefinition:
    if name in PLATFORM_TABLES:
        return PLATFORM_TABLES[name]
    schema, table = name.split(".", 1)
    model = models.get(table) or TableDefinition()
    if schema != EXTERNAL:
        return TableDefinition(model.description, {c: model.column(c) for c in columns})
    described = {}
    for column in columns:
        figure = column.removesuffix(FLAG_SUFFIX)
        if column.endswith(FLAG_SUFFIX) and figure in columns:
            described[column] = ColumnDefinition(flag_description(figure))
        else:
            described[column] = model.column(column)
    return TableDefinition(release_description(table, model.description), described)


def flag_description(column: str) -> str:
    return (
        f"Why {column} is empty, as a GSS symbol: {HIDDEN} suppressed (a count of 1-4, a cell "
        "that would give one back through a sum across the shareable tables, or a figure built "
        f"on one); {NOT_AVAILABLE} not available; {NOT_APPLICABLE} not applicable (a rate over "
        f"zero). Empty when {column} is shown."
    )


def release_description(table: str, description: str | None) -> str:
    text = (f"The audited release of gold.{table}, safe to share outside the council: hidden "
            "figures are NULL and their <column>_flag says why (docs/DISCLOSURE.md).")
    return f"{text} {description}" if description else text


def _text(value: str | None) -> str | None:
    """dbt's text without the trailing newline folded YAML leaves; None when empty."""
    text = (value or "").strip()
    return text or None


# ---------------------------------------------------------------------------------------------
# Writing them
# ---------------------------------------------------------------------------------------------
def write_comments(con: duckdb.DuckDBPyConnection, catalog: str,
                   definitions: Mapping[str, TableDefinition]) -> int:
    """COMMENT ON every described table and column of ``catalog``, in one transaction (each
    statement committed on its own costs ~3 ms); returns the columns commented."""
    statements = []
    for name, definition in definitions.items():
        schema, table = name.split(".", 1)
        target = f'{catalog}.{schema}."{table}"'
        if definition.description:
            statements.append(f"comment on table {target} is {_sql_literal(definition.description)}")
        statements += [
            f'comment on column {target}."{column}" is {_sql_literal(described.description)}'
            for column, described in definition.columns.items() if described.description
        ]
    con.execute("begin transaction")
    try:
        for statement in statements:
            con.execute(statement)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return sum(1 for statement in statements if statement.startswith("comment on column"))


def described_arrow(arrow: pa.Table, definition: TableDefinition) -> pa.Table:
    """The table with each field's description (and the table's, on the schema) as Parquet
    metadata, key ``description``."""
    fields = []
    for arrow_field in arrow.schema:
        text = definition.column(arrow_field.name).description
        fields.append(arrow_field.with_metadata({DESCRIPTION_KEY: text}) if text else arrow_field)
    metadata = {DESCRIPTION_KEY: definition.description} if definition.description else None
    return pa.Table.from_arrays(arrow.columns, schema=pa.schema(fields, metadata=metadata))


def dictionary_rows(tables: Mapping[str, Mapping[str, str]],
                    definitions: Mapping[str, TableDefinition]) -> list[dict[str, str]]:
    """One row per published column: schema, table, column, type, description, disclosure role."""
    rows = []
    for name, columns in tables.items():
        schema, table = name.split(".", 1)
        definition = definitions.get(name) or TableDefinition()
        for column, data_type in columns.items():
            described = definition.column(column)
            rows.append({
                "schema": schema, "table": table, "column": column, "type": data_type,
                "description": described.description or "",
                "disclosure_role": described.disclosure_role or "",
            })
    return rows


def write_data_dictionary(folder: Path, tables: Mapping[str, Mapping[str, str]],
                          definitions: Mapping[str, TableDefinition]) -> list[Path]:
    """data_dictionary.csv and data_dictionary.md in ``folder``; returns their paths."""
    rows = dictionary_rows(tables, definitions)
    csv_path, md_path = folder / DICTIONARY_CSV, folder / DICTIONARY_MD
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DICTIONARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    md_path.write_text(_markdown(tables, definitions, rows), encoding="utf-8")
    return [csv_path, md_path]


def _markdown(tables, definitions, rows) -> str:
    lines = [
        "# Data dictionary of the published gold tables",
        "",
        "Every table and column of `published.duckdb` (and its Parquet files), with the "
        "descriptions dbt docs and the Dagster UI show. `gold.*` is for the council's analysts; "
        "only `external.*` (the audited release) may be shared outside the council. Disclosure "
        "roles: docs/DISCLOSURE.md.",
    ]
    for name in tables:
        definition = definitions.get(name) or TableDefinition()
        lines += ["", f"## {name}", ""]
        if definition.description:
            lines += [_md_cell(definition.description), ""]
        lines += ["| column | type | disclosure role | description |", "|---|---|---|---|"]
        schema, table = name.split(".", 1)
        for row in rows:
            if (row["schema"], row["table"]) == (schema, table):
                lines.append(f"| `{row['column']}` | {row['type']} | {row['disclosure_role']} | "
                             f"{_md_cell(row['description'])} |")
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
