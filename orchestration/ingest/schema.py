"""The bronze tables: names and columns are a contract with the dbt models.

Data columns are VARCHAR holding the value as landed (trimmed, blank -> NULL), named by
contract field name (GIAS: ``contract.gias_column_name(header)``). Every data table carries
the lineage columns below; per-source extras follow. ``ensure_bronze_schema`` is idempotent
and also adds columns the contract gained since the table was created.
"""

from __future__ import annotations

import duckdb

from orchestration import contract
from orchestration.council_tables import ensure_council_tables
from orchestration.ingest import sen2_bronze_schema
from orchestration.returns import layout

SCHEMA = "bronze"

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),  # relative to landing_dir, forward slashes
    ("_sha256", "VARCHAR"),
    ("_row_number", "INTEGER"),  # as Excel shows it: header = 1, first data row = 2
    ("_loaded_at", "TIMESTAMP"),  # UTC
)
SYNERGY_HISTORY_COLUMNS = (
    ("_extract_date", "DATE"),  # extract in which this version of the row first appeared
    ("_valid_from", "DATE"),
    ("_valid_to", "DATE"),  # first later extract where the row changed or vanished
    ("_row_hash", "VARCHAR"),  # sha256 of the data columns
)
# A later version of the same landed file (same path, new bytes) supersedes the earlier one.
SUPERSEDED_COLUMN = (("_superseded_by_sha256", "VARCHAR"),)

SOURCE_EXTRA_COLUMNS = {
    contract.GIAS.name: (("_file_date", "DATE"),) + SUPERSEDED_COLUMN,
    contract.SRP_REGISTER.name: (("_academic_year", "VARCHAR"),) + SUPERSEDED_COLUMN,
    contract.DFE_SEN2_MI.name: SUPERSEDED_COLUMN,
    **{source.name: SYNERGY_HISTORY_COLUMNS for source in contract.SYNERGY_FILES},
}

_COLUMN_NAMERS = {contract.GIAS.name: contract.gias_column_name}

FILE_REGISTRY = (
    ("source", "VARCHAR"),  # synergy / gias / srp_register / school_returns / dfe
    ("source_file", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("archived_path", "VARCHAR"),
    ("first_seen_at", "TIMESTAMP"),
    ("processed_at", "TIMESTAMP"),
    ("status", "VARCHAR"),  # loaded / quarantined / duplicate / waiting / rejected / removed
    ("reason", "VARCHAR"),
    ("rows_landed", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("encoding", "VARCHAR"),
    ("superseded_by_sha256", "VARCHAR"),
)
LOAD_ERRORS = (
    ("source", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("sheet", "VARCHAR"),
    ("cell", "VARCHAR"),  # workbooks: where the problem is, Sheet!A1 (added later: last in old tables)
    ("row_number", "INTEGER"),
    ("column_name", "VARCHAR"),
    ("value", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("message", "VARCHAR"),
    ("severity", "VARCHAR"),  # error: row rejected / file quarantined; warning: row kept
    ("raw_record", "VARCHAR"),  # JSON object of the whole raw row
    ("personal", "BOOLEAN"),  # value is a direct identifier (the message never repeats it)
    ("detected_at", "TIMESTAMP"),
)
SYNERGY_EXTRACTS = (
    ("extract_date", "DATE"),
    ("status", "VARCHAR"),  # loaded / rejected / waiting
    ("reason", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
    ("rows_landed", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("rows_inserted", "BIGINT"),  # new row versions stored (0 on a night with no changes)
    ("rows_closed", "BIGINT"),  # row versions closed (changed or gone)
    ("file_counts", "VARCHAR"),  # JSON: {file: {landed, loaded, rejected, inserted, closed,
    #                                          cascaded (rejected because a parent row was)}}
    ("persons_cascaded", "BIGINT"),  # children with a row rejected by such a cascade
)


# School return workbooks (ingest/school_returns.py): one row per workbook version, and one
# table per sheet, each with the sheet's fields and the return lineage columns.
_RETURN_LINEAGE = (
    ("_sheet", "VARCHAR"), ("_row_number", "INTEGER"), ("_source_file", "VARCHAR"),
    ("_sha256", "VARCHAR"), ("_academic_year", "VARCHAR"), ("_loaded_at", "TIMESTAMP"),
)
RETURN_SHEET_TABLES = {
    layout.PLACES: "return_places",
    layout.PUPILS: "return_pupils",
    layout.FINANCE: "return_finance",
    layout.OUTCOMES: "return_outcomes",
}


def _sheet_columns(sheet: layout.Sheet) -> tuple:
    return tuple((c.field, "VARCHAR") for c in sheet.columns)


RETURN_TABLES = {
    "return_submissions": (
        ("_source_file", "VARCHAR"), ("_sha256", "VARCHAR"), ("_academic_year", "VARCHAR"),
        ("_loaded_at", "TIMESTAMP"),
        *_sheet_columns(layout.DETAILS_SHEET),
        ("received_at", "TIMESTAMP"),  # file modification time, UTC
        ("status", "VARCHAR"),  # valid / invalid / quarantined
        ("status_reason", "VARCHAR"),
        ("error_count", "INTEGER"),
        ("warning_count", "INTEGER"),
    ),
    **{table_name: _sheet_columns(sheet) + _RETURN_LINEAGE
       for table_name, sheet in zip(RETURN_SHEET_TABLES.values(),
                                    (layout.PLACES_SHEET, layout.PUPILS_SHEET,
                                     layout.FINANCE_SHEET, layout.OUTCOMES_SHEET))},
}


def column_name(source: contract.CsvSource, field_name: str) -> str:
    return _COLUMN_NAMERS.get(source.name, str)(field_name)


def data_columns(source: contract.CsvSource) -> list[str]:
    return [column_name(source, name) for name in source.columns]


def csv_table_columns(source: contract.CsvSource) -> list[tuple[str, str]]:
    data = [(name, "VARCHAR") for name in data_columns(source)]
    return data + list(LINEAGE_COLUMNS) + list(SOURCE_EXTRA_COLUMNS.get(source.name, ()))


def table(name: str) -> str:
    return f"{SCHEMA}.{name}"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple | None:
    # fetchall, not fetchone: duckdb 2 keeps a half-read result open and refuses other work
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table_name, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?",
        [SCHEMA],
    ).fetchall():
        found.setdefault(table_name, set()).add(column)
    return found


def ensure_table(con: duckdb.DuckDBPyConnection, name: str, columns,
                 existing: dict[str, set[str]] | None = None) -> None:
    """Create the table, or add the columns it lacks (new contract fields, new DfE columns)."""
    if existing is None:
        existing = existing_columns(con)
    if name not in existing:
        column_sql = ", ".join(f"{quote(col)} {kind}" for col, kind in columns)
        con.execute(f"CREATE TABLE {table(name)} ({column_sql})")
        return
    for col, kind in columns:
        if col not in existing[name]:
            con.execute(f"ALTER TABLE {table(name)} ADD COLUMN {quote(col)} {kind}")


def bronze_tables() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every bronze table and its columns, in creation order."""
    tables = {
        "file_registry": FILE_REGISTRY,
        "load_errors": LOAD_ERRORS,
        "synergy_extracts": SYNERGY_EXTRACTS,
    }
    csv_sources = contract.SYNERGY_FILES + (
        contract.GIAS, contract.SRP_REGISTER, contract.DFE_SEN2_MI,
    )
    for source in csv_sources:
        tables[source.name] = tuple(csv_table_columns(source))
    tables.update(RETURN_TABLES)
    tables.update(sen2_bronze_schema.BRONZE_TABLES)  # SEN2 modules and the postcode lookup
    return tables


def ensure_bronze_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``bronze`` and every bronze table (idempotent)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    existing = existing_columns(con)
    gains_cell = "load_errors" in existing and "cell" not in existing["load_errors"]
    for name, columns in bronze_tables().items():
        ensure_table(con, name, columns, existing)
    if gains_cell:
        _backfill_cells(con)
    ensure_council_tables(con)  # dbt's council.* sources, before the council asset first runs


def _backfill_cells(con: duckdb.DuckDBPyConnection) -> None:
    """Once, when load_errors gains ``cell``: workbook problems recorded before then carry their
    cell only in the message (``<file> Sheet!A1: ...``); files already loaded are not read
    again, so their cell is taken from there this one time."""
    con.execute(f"""
        UPDATE {table('load_errors')}
        SET cell = nullif(regexp_extract(substr(message, length(source_file) + 2),
                                         '^([^!:]+![A-Z]{{1,3}}[0-9]+): ', 1), '')
        WHERE source = 'school_returns' AND starts_with(message, source_file || ' ')
    """)
