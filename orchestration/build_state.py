"""Whether the dbt build can be skipped: nothing it reads has changed since the last successful
build. Its inputs are the bronze files that loaded (the file registry and the Synergy extracts),
the dbt project's code (model, test, seed and macro checksums in the manifest) and the
pseudonymisation key. On a night where none of these changed, rebuilding silver and gold would
reproduce the same tables, so the refresh records that and skips dbt and everything after it.

The same inputs give each bronze table its Dagster data version (:func:`bronze_data_version`):
a night that loads nothing new re-materialises bronze with the version it already had, so
silver and gold, which were built from it, are not shown as unsynced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb

from orchestration import council_tables
from orchestration.pseudonymise import pseudonym

TABLE = "meta.dbt_build_state"
PROJECT = "send_data_platform"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list:
    try:
        return con.execute(sql, params or []).fetchall()
    except duckdb.CatalogException:  # before the first ingestion
        return []


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, manifest_path: Path, key: str) -> str:
    digest = hashlib.sha256()
    for row in _rows(con, "select source_file, sha256, status from bronze.file_registry order by all"):
        digest.update(repr(row).encode())
    for row in _rows(con, "select extract_date, status from bronze.synergy_extracts order by all"):
        digest.update(repr(row).encode())
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    for unique_id, node in sorted(manifest["nodes"].items()):
        digest.update(f"{unique_id}:{node['checksum']['checksum']}".encode())
    for unique_id, macro in sorted(manifest["macros"].items()):
        if macro["package_name"] == PROJECT:
            digest.update(f"{unique_id}:{macro['macro_sql']}".encode())
    digest.update(pseudonym(key, "build-state", "fingerprint").encode())
    digest.update(council_tables.tables_fingerprint(con).encode())  # the configured council
    return digest.hexdigest()


def bronze_data_version(con: duckdb.DuckDBPyConnection, source: str | None = None) -> str:
    """A digest of the file versions one source has loaded (every source when None): which
    file, which bytes and what became of it, plus the Synergy extracts for Synergy. Row
    timestamps are left out: a file processed again with the same outcome changes nothing."""
    digest = hashlib.sha256()
    where, params = ("", []) if source is None else (" where source = ?", [source])
    for row in _rows(con, "select source_file, sha256, status, superseded_by_sha256"
                     f" from bronze.file_registry{where} order by all", params):
        digest.update(repr(row).encode())
    if source in (None, "synergy"):
        for row in _rows(con, "select extract_date, status from bronze.synergy_extracts order by all"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def last_built_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    return last_build(con)[0]


def last_build(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """The fingerprint and run id of the last successful full build (None, None before one)."""
    rows = _rows(con, f"select fingerprint, run_id from {TABLE} order by built_at desc limit 1")
    return rows[0] if rows else (None, None)


def record_build(con: duckdb.DuckDBPyConnection, fingerprint: str, run_id: str) -> None:
    con.execute("create schema if not exists meta")
    con.execute(
        f"create table if not exists {TABLE} "
        "(fingerprint varchar, run_id varchar, built_at timestamp)"
    )
    con.execute(
        f"insert into {TABLE} values (?, ?, ?)",
        [fingerprint, run_id, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)],
    )
