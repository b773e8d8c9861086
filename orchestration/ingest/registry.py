"""``bronze.file_registry`` (one row per landed file version) and ``bronze.load_errors``.

A file version is (source_file, sha256). Registry rows are upserted on that pair, so a
version processed again (a Synergy extract completed after a rejection, or re-delivered)
keeps its ``first_seen_at`` and shows its latest outcome. Invariant for every row:
``rows_landed = rows_loaded + rows_rejected``, where rows_landed is the file's data rows:

* ``loaded``: rows that passed every rule / rows rejected for row errors;
* ``quarantined``: the rows that could be counted (a readable CSV with a missing column:
  all of them, all rejected), 0 when the bytes cannot be decoded or the workbook read;
* ``rejected`` (a Synergy file whose extract was not loaded): rows counted, all rejected;
* ``duplicate`` and ``waiting``: 0 / 0 / 0 (not parsed). Waiting rows (a Synergy folder
  without ``_SUCCESS``) have no hash and are replaced on every run until the folder loads.
  A file is a duplicate only of a file that LOADED with the same bytes; if that original is
  gone (or was never loaded, in registries written before this rule), it is processed again.
* ``rejected`` with no hash: a link or special file in the landing folder, never opened,
  or a file whose load hit an unexpected error (replaced on every run, like waiting rows).
* ``removed``: a quarantined school return since taken out of the landing folder (see
  school_returns.py); landed again, it is ``quarantined`` again.

Timestamps are UTC (naive TIMESTAMP).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from orchestration.ingest.files import LandedFile
from orchestration.problems import ERROR, WARNING, Problem  # noqa: F401 - re-exported
from orchestration.ingest.schema import first_row, quote, table

LOADED, QUARANTINED, DUPLICATE, WAITING, REJECTED, REMOVED = (
    "loaded", "quarantined", "duplicate", "waiting", "rejected", "removed",
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class FileOutcome:
    source: str
    file: LandedFile
    status: str
    reason: str | None = None
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)
    rows_inserted: int | None = None  # rows physically added; None = rows_loaded


def raw_record_json(headers: list[str], fields: list[str]) -> str:
    """The raw row as a JSON object keyed by the file's own headers (nothing dropped)."""
    record: dict[str, str] = {}
    for position, value in enumerate(fields):
        name = headers[position] if position < len(headers) else f"_extra_{position + 1}"
        while name in record:
            name += "_"
        record[name] = value
    return json.dumps(record, ensure_ascii=False)


def insert_records(con: duckdb.DuckDBPyConnection, table_name: str, records: list[dict]) -> None:
    """Insert dicts into a bronze table by column name (one Arrow batch, not row by row)."""
    if not records:
        return
    # Columns from every record (from_pylist would take them from the first one only).
    columns = dict.fromkeys(key for record in records for key in record)
    insert_arrow(con, table(table_name),
                 pa.table({name: [record.get(name) for record in records] for name in columns}))


def insert_arrow(con: duckdb.DuckDBPyConnection, target: str, rows: pa.Table,
                 constants: dict | None = None, extra_sql: str = "") -> None:
    """INSERT the Arrow rows into ``target`` by column name, with constant columns
    (``constants``, as parameters) and any extra select expressions (``extra_sql``)."""
    constants = constants or {}
    constant_sql = "".join(f", ? AS {quote(name)}" for name in constants)
    view = "_ingest_stage"
    con.register(view, rows)
    try:
        con.execute(f"INSERT INTO {target} BY NAME SELECT *{constant_sql}{extra_sql} FROM {view}",
                    list(constants.values()))
    finally:
        con.unregister(view)


# A registration that still stands: not ``waiting`` (re-examined every run), and not a
# ``duplicate`` whose loaded original has gone (quarantined copies never count as originals,
# and a duplicate of nothing is processed again).
_STANDING = f"""status <> 'waiting' AND NOT (status = 'duplicate' AND NOT EXISTS (
    SELECT 1 FROM {table('file_registry')} o WHERE o.source = r.source AND o.sha256 = r.sha256
    AND o.source_file <> r.source_file AND o.status = 'loaded'))"""


def registered_status(con, source_file: str, sha256: str) -> str | None:
    """The outcome a file version was registered with, if that registration still stands."""
    row = first_row(
        con,
        f"SELECT status FROM {table('file_registry')} r"
        f" WHERE source_file = ? AND sha256 = ? AND {_STANDING}",
        [source_file, sha256],
    )
    return row[0] if row else None


def same_bytes_elsewhere(con, source: str, source_file: str, sha256: str) -> tuple | None:
    """(source_file, status) of a LOADED file with these bytes under another path: a file is
    only ever a duplicate of one that loaded, never of a quarantined or rejected copy."""
    return first_row(
        con,
        f"SELECT source_file, status FROM {table('file_registry')}"
        " WHERE source = ? AND sha256 = ? AND source_file <> ? AND status = 'loaded'"
        " ORDER BY first_seen_at LIMIT 1",
        [source, sha256, source_file],
    )


def earlier_versions(con, source_file: str, sha256: str) -> list[str]:
    """Hashes of other, still current versions registered under the same path."""
    rows = con.execute(
        f"SELECT sha256 FROM {table('file_registry')} WHERE source_file = ? AND sha256 <> ?"
        " AND sha256 IS NOT NULL AND superseded_by_sha256 IS NULL",
        [source_file, sha256],
    ).fetchall()
    return [row[0] for row in rows]


def mark_superseded(con, source_file: str, old_sha256: str, new_sha256: str,
                    data_table: str | None = None) -> None:
    con.execute(
        f"UPDATE {table('file_registry')} SET superseded_by_sha256 = ?"
        " WHERE source_file = ? AND sha256 = ?",
        [new_sha256, source_file, old_sha256],
    )
    if data_table:
        con.execute(
            f"UPDATE {table(data_table)} SET _superseded_by_sha256 = ?"
            " WHERE _source_file = ? AND _sha256 = ? AND _superseded_by_sha256 IS NULL",
            [new_sha256, source_file, old_sha256],
        )


def register(con, outcome: FileOutcome, now: dt.datetime) -> None:
    """Upsert the file version's registry row and replace its recorded problems."""
    register_many(con, [outcome], now)


def register_many(con, outcomes: list[FileOutcome], now: dt.datetime) -> None:
    """``register`` for several file versions at once (a few statements, not a few per file)."""
    if not outcomes:
        return
    versions = pa.table({"source_file": [o.file.source_file for o in outcomes],
                         "sha256": [o.file.sha256 for o in outcomes]})
    con.register("_registering", versions)
    try:
        first_seen = dict(((f, s), t) for f, s, t in con.execute(
            f"SELECT r.source_file, r.sha256, min(r.first_seen_at) FROM {table('file_registry')} r"
            " JOIN _registering v USING (source_file, sha256) GROUP BY ALL").fetchall())
        if first_seen:  # processed before: replace their rows and problems
            for name in ("file_registry", "load_errors"):
                con.execute(f"DELETE FROM {table(name)} t USING _registering v"
                            " WHERE t.source_file = v.source_file AND t.sha256 = v.sha256")
    finally:
        con.unregister("_registering")
    insert_records(con, "file_registry", [{
        "source": o.source,
        "source_file": o.file.source_file,
        "sha256": o.file.sha256,
        "size_bytes": o.file.size_bytes,
        "archived_path": str(o.file.archived) if o.file.archived else None,
        "first_seen_at": first_seen.get((o.file.source_file, o.file.sha256)) or now,
        "processed_at": now,
        "status": o.status,
        "reason": o.reason,
        "rows_landed": o.rows_landed,
        "rows_loaded": o.rows_loaded,
        "rows_rejected": o.rows_rejected,
        "encoding": o.encoding,
    } for o in outcomes])
    insert_records(con, "load_errors", [
        problem_record(o.source, o.file.source_file, o.file.sha256, p, now)
        for o in outcomes for p in o.problems])


def registered_versions(con, source: str) -> set[tuple[str, str]]:
    """(source_file, sha256) of every file version of a source processed before (whose
    registration still stands: see ``registered_status``)."""
    return set(con.execute(
        f"SELECT source_file, sha256 FROM {table('file_registry')} r"
        f" WHERE source = ? AND sha256 IS NOT NULL AND {_STANDING}", [source]).fetchall())


def record_problems(con, source: str, source_file: str, sha256: str | None,
                    problems: list[Problem], now: dt.datetime) -> None:
    insert_records(con, "load_errors", [
        problem_record(source, source_file, sha256, p, now) for p in problems])


def problem_record(source: str, source_file: str, sha256: str | None, p: Problem,
                   now: dt.datetime) -> dict:
    return {
        "source": source,
        "source_file": source_file,
        "sha256": sha256,
        "sheet": p.sheet,
        "cell": p.cell,
        "row_number": p.row_number,
        "column_name": p.column,
        "value": p.value,
        "rule": p.rule,
        "message": p.message,
        "severity": p.severity,
        "raw_record": p.raw_record,
        "personal": p.personal,
        "detected_at": now,
    }


def replace_waiting(con, source: str, folder: str, files: list[LandedFile], reason: str,
                    now: dt.datetime) -> None:
    """Waiting rows describe a folder still being written: one per file, no hash kept."""
    clear_waiting(con, folder)
    insert_records(con, "file_registry", [
        {
            "source": source, "source_file": f.source_file, "sha256": None,
            "size_bytes": f.size_bytes, "archived_path": None, "first_seen_at": now,
            "processed_at": now, "status": WAITING, "reason": reason,
            "rows_landed": 0, "rows_loaded": 0, "rows_rejected": 0,
        }
        for f in files
    ])


def clear_waiting(con, folder: str) -> None:
    con.execute(
        f"DELETE FROM {table('file_registry')} WHERE status = 'waiting' AND source_file LIKE ?",
        [folder.rstrip("/") + "/%"],
    )


def clear_folder_problems(con, folder: str) -> None:
    """Forget extract-level problems (no sha256) recorded for a folder on an earlier run."""
    con.execute(
        f"DELETE FROM {table('load_errors')} WHERE sha256 IS NULL AND source_file = ?",
        [folder],
    )
