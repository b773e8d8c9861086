"""Does every landed file version balance: rows landed = rows loaded + rows rejected?

The registry's three figures are written by the loader, which derives one from the other two,
so comparing them with each other proves nothing. Here each side is counted on its own:

* landed: the data rows of the archived file, found by a parse that shares no code with the
  loader (pyarrow's CSV reader; the loader uses Python's ``csv``). As in the loader, the header
  is the first row that is not blank, rows whose every field is blank are not data rows, rows
  with the wrong number of fields are still rows, and a file that cannot be decoded (neither
  UTF-8 nor Windows-1252), holds NUL bytes or is empty has none. A school-return workbook is
  read with openpyxl (the loader uses calamine): Places and Pupils rows with a cell filled,
  plus one per Finance / Outcomes form (orchestration/returns/layout.py); a workbook openpyxl
  cannot read keeps the registry's figure. A SEN2 XML return's records are counted with
  expat (quality/sen2_records.py; the loader streams with lxml); a Blade CSV is a CSV. Only file versions processed since ``since`` are
  read again (re-parsing the whole archive every night would not scale); older versions keep
  the registry's landed figure.
* loaded: the rows bronze holds for the version by lineage (``_source_file``, ``_sha256``);
  for a loaded change-captured Synergy file, the rows of its table valid on the extract's
  date (``_valid_from <= D and (_valid_to is null or _valid_to > D)``), see synergy.py.
* rejected: distinct rows with an error-severity entry in ``bronze.load_errors`` (for a
  workbook: Places / Pupils rows, and each Finance / Outcomes form with an error on one of its
  rows; for SEN2: records, told apart by module and position, ``sheet`` and ``cell``). A file rejected as a whole (quarantined, or a Synergy file of an extract not loaded)
  rejects every row it landed and leaves no bronze rows.

A version is out of balance when the independent counts do not balance, or any of them
differs from the registry's figure. Versions with nothing parsed (waiting, duplicate, links
and special files, removed returns) must have no rows anywhere. A Synergy version superseded
by a re-delivery has had its rows replaced, so it is not checked.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from orchestration import contract
from orchestration.ingest.sen2_bronze_schema import (
    LANDING_POSTCODES, LANDING_SEN2, POSTCODES_TABLE, SEN2_TABLES,
)
from orchestration.quality.large_csv import streamed_csv_data_rows
from orchestration.quality.sen2_records import xml_records
from orchestration.returns import layout

REGISTRY, LOAD_ERRORS = "bronze.file_registry", "bronze.load_errors"
WORKBOOK_SOURCE = contract.LANDING_SCHOOL_RETURNS
SYNERGY_SOURCE = contract.LANDING_SYNERGY
SEN2_SOURCE = LANDING_SEN2  # ingest/sen2.py: an XML return's records counted by sen2_records.py
WHOLE_FILE_REJECTED = ("quarantined", "rejected")
# Quarantines of a file that was read as CSV (its rows counted); any other quarantine (bad
# name, bytes that cannot be decoded, an empty file) lands no rows.
_COUNTED_QUARANTINES = ("duplicate_column", "missing_required_column")
LINEAGE_TABLES = tuple(s.name for s in contract.SYNERGY_FILES) + (
    contract.GIAS.name, contract.SRP_REGISTER.name, contract.DFE_SEN2_MI.name,
    "return_places", "return_pupils", "return_finance", "return_outcomes", *SEN2_TABLES, POSTCODES_TABLE,
)
_SYNERGY_TABLES = {s.file_name: s.name for s in contract.SYNERGY_FILES}
_TABLE_ROW_SHEETS = (layout.PLACES, layout.PUPILS)
_FORM_SHEETS = (layout.FINANCE, layout.OUTCOMES)
_MAX_BLOCK = 64 * 1024 * 1024
_HEADER_SPAN = 1024 * 1024  # a header row (after any blank lines) ends within this


@dataclass(frozen=True)
class Imbalance:
    source_file: str
    sha256: str | None
    landed: int | None  # None: the archived copy could not be read
    loaded: int
    rejected: int
    registered: tuple[int, int, int]  # the registry's landed, loaded, rejected

    def describe(self) -> str:
        landed = "unreadable archive" if self.landed is None else self.landed
        return (f"{self.source_file}: landed {landed}, loaded {self.loaded}, rejected"
                f" {self.rejected}; the registry says {'/'.join(map(str, self.registered))}")


# --- landed: an independent parse of the archived CSV --------------------------------------

def _decoded(data: bytes, encoding: str | None) -> str | None:
    """The text as the loader decoded it (``encoding`` from the registry), or None."""
    codecs = {"utf-8": ["utf-8-sig"], "cp1252": ["cp1252"]}.get(encoding or "",
                                                               ["utf-8-sig", "cp1252"])
    for codec in codecs:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _is_blank_text(text: str) -> bool:
    return not text.replace('"', "").replace(",", "").strip()


def csv_data_rows(data: bytes, encoding: str | None = None) -> int:
    """Data rows of a CSV file: records that are not blank, less the header."""
    text = _decoded(data, encoding)
    if text is None or "\x00" in text or not text.strip():
        return 0
    utf8 = text.encode("utf-8")
    ragged: list[str] = []

    def keep_ragged(row) -> str:
        ragged.append(row.text)
        return "skip"

    parsed = pcsv.read_csv(
        io.BytesIO(utf8),
        read_options=pcsv.ReadOptions(
            autogenerate_column_names=True,
            block_size=max(1 << 20, min(len(utf8) + 1, _MAX_BLOCK))),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=keep_ragged),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in _column_names(utf8)},
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    records = _non_blank(parsed) + sum(not _is_blank_text(text) for text in ragged)
    return max(records - 1, 0)  # the first non-blank record is the header


def _column_names(utf8: bytes) -> list[str]:
    """Names for every column pyarrow may generate (f0, f1, ...; as many as the header
    has fields, which cannot exceed the commas before its end): all read as text."""
    return [f"f{i}" for i in range(utf8.count(b",", 0, _HEADER_SPAN) + 1)]


def _non_blank(parsed: pa.Table) -> int:
    if parsed.num_rows == 0:
        return 0
    joined = pc.binary_join_element_wise(*parsed.columns, "")
    return pc.sum(pc.not_equal(pc.utf8_trim_whitespace(joined), "")).as_py() or 0


def archived_data_rows(archived_path: str | None, encoding: str | None) -> int | None:
    """Data rows of the archived CSV copy, or None when it cannot be read."""
    if not archived_path:
        return None
    try:
        data = Path(archived_path).read_bytes()
    except OSError:
        return None
    try:
        return csv_data_rows(data, encoding)
    except pa.ArrowInvalid:  # not parseable as CSV: counted as not readable, like the loader
        return 0


# --- landed: an independent read of the archived workbook ---------------------------------

def _sheet_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _is_blank_cell(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def workbook_data_rows(path: Path) -> int | None:
    """Places and Pupils rows with any cell filled (from the first data row, in the
    template's columns) plus one per Finance / Outcomes form; None if openpyxl cannot read
    the workbook (the loader reads it with calamine)."""
    import openpyxl

    tables = {_sheet_key(s.name): len(s.columns)
              for s in (layout.PLACES_SHEET, layout.PUPILS_SHEET)}
    try:
        with path.open("rb") as handle:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                rows = sum(
                    not all(map(_is_blank_cell, cells))
                    for sheet in book.worksheets if _sheet_key(sheet.title) in tables
                    for cells in sheet.iter_rows(min_row=layout.FIRST_DATA_ROW,
                                                 max_col=tables[_sheet_key(sheet.title)],
                                                 values_only=True))
            finally:
                book.close()
    except Exception:  # noqa: BLE001 - any failure to read means "not counted here"
        return None
    return rows + len(_FORM_SHEETS)


# --- loaded and rejected: what bronze holds ------------------------------------------------

def _existing_tables(con) -> set[str]:
    return {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bronze'"
    ).fetchall()}


def loaded_rows(con) -> dict[tuple[str, str], int]:
    """Bronze rows per file version: by lineage, and for loaded Synergy files, the rows of
    their table valid on the extract date."""
    present = _existing_tables(con)
    counts: dict[tuple[str, str], int] = {}
    for name in (t for t in LINEAGE_TABLES if t in present):
        for source_file, sha, n in con.execute(
                f"SELECT _source_file, _sha256, count(*) FROM bronze.{name}"
                " GROUP BY ALL").fetchall():
            counts[(source_file, sha)] = counts.get((source_file, sha), 0) + n
    for file_name, name in _SYNERGY_TABLES.items():
        if name not in present:
            continue
        counts.update(((f, s), n) for f, s, n in con.execute(
            f"""
            WITH versions AS (
                SELECT source_file, sha256,
                       try_cast(split_part(source_file, '/', 2) AS DATE) AS extract_date
                FROM {REGISTRY}
                WHERE source = ? AND status = 'loaded' AND superseded_by_sha256 IS NULL
                  AND source_file = concat_ws('/', ?, split_part(source_file, '/', 2), ?))
            SELECT v.source_file, v.sha256, count(t._row_hash)
            FROM versions v LEFT JOIN bronze.{name} t
              ON t._valid_from <= v.extract_date
             AND (t._valid_to IS NULL OR t._valid_to > v.extract_date)
            GROUP BY ALL""", [SYNERGY_SOURCE, SYNERGY_SOURCE, file_name]).fetchall())
    return counts


def counted_quarantines(con) -> set[tuple[str, str]]:
    """File versions quarantined after their rows were read (a column missing or twice)."""
    return set(con.execute(
        f"SELECT DISTINCT source_file, sha256 FROM {LOAD_ERRORS} WHERE severity = 'error'"
        " AND row_number IS NULL AND rule IN ? AND source <> ?",  # SEN2: never counted
        [list(_COUNTED_QUARANTINES), SEN2_SOURCE]).fetchall())


def rejected_rows(con) -> dict[tuple[str, str], int]:
    """Distinct rows with an error in load_errors, per file version (workbooks: table rows
    of Places / Pupils, and one per Finance / Outcomes form)."""
    rows = con.execute(
        f"""
        SELECT e.source_file, e.sha256,
               count(DISTINCT CASE WHEN e.source <> ? OR e.sheet IN ?
                                   THEN concat_ws(':', e.sheet, e.row_number,
                                                  CASE WHEN e.source = ? THEN e.cell END) END)
             + count(DISTINCT CASE WHEN e.source = ? AND e.sheet IN ? THEN e.sheet END)
        FROM {LOAD_ERRORS} e
        WHERE e.severity = 'error' AND e.row_number IS NOT NULL AND e.sha256 IS NOT NULL
        GROUP BY ALL""",
        [WORKBOOK_SOURCE, list(_TABLE_ROW_SHEETS), SEN2_SOURCE, WORKBOOK_SOURCE,
         list(_FORM_SHEETS)],
    ).fetchall()
    return {(f, s): n for f, s, n in rows}


def _archived_workbook_rows(archived_path: str | None, registered: int) -> int | None:
    """Data rows of the archived workbook; the registry's figure when openpyxl cannot read a
    workbook the loader (calamine) could, so a reader difference never stops the night."""
    if not archived_path or not Path(archived_path).is_file():
        return None
    counted = workbook_data_rows(Path(archived_path))
    return registered if counted is None else counted


# --- the balance -----------------------------------------------------------------------------

def unbalanced_files(con: duckdb.DuckDBPyConnection,
                     since: dt.datetime | None = None) -> tuple[int, list[Imbalance]]:
    """(file versions checked, those out of balance). Versions processed at or after
    ``since`` (naive UTC; None: all) are read again from their archived copies."""
    versions = con.execute(
        f"""SELECT source, source_file, sha256, status, archived_path, encoding, processed_at,
                   coalesce(rows_landed, 0), coalesce(rows_loaded, 0),
                   coalesce(rows_rejected, 0)
            FROM {REGISTRY}
            WHERE NOT (source = ? AND superseded_by_sha256 IS NOT NULL)
            ORDER BY source_file, processed_at""", [SYNERGY_SOURCE]).fetchall()
    loaded, rejected = loaded_rows(con), rejected_rows(con)
    counted = counted_quarantines(con)
    out = []
    for (source, source_file, sha, status, archived, encoding, processed_at,
         *registered) in versions:
        key = (source_file, sha)
        bronze = loaded.get(key, 0)
        if sha is None or status not in ("loaded",) + WHOLE_FILE_REJECTED or (
                status == "quarantined" and key not in counted):
            landed = 0  # never parsed or not readable as CSV; waiting, duplicate, a link ...
        elif since and processed_at < since:
            landed = registered[0]
        elif source == WORKBOOK_SOURCE:
            landed = _archived_workbook_rows(archived, registered[0])
        elif source == SEN2_SOURCE and source_file.lower().endswith(".xml"):
            landed = xml_records(Path(archived)) if archived else None
        elif source == LANDING_POSTCODES and status == "loaded":  # ~1 GB: streamed
            landed = streamed_csv_data_rows(Path(archived)) if archived else None
        else:
            landed = archived_data_rows(archived, encoding)
        errors = landed if status in WHOLE_FILE_REJECTED else rejected.get(key, 0)
        balanced = landed is not None and landed == bronze + (errors or 0)
        if not balanced or (landed, bronze, errors) != tuple(registered):
            out.append(Imbalance(source_file, sha, landed, bronze, errors or 0,
                                 tuple(registered)))
    return len(versions), out
