"""The ONS postcode lookup (NSPL): ``postcodes/NSPL<yy>_<MON>_<YYYY>_UK.csv`` -> bronze.postcodes.

A snapshot source like GIAS (runner.ingest_one_file: hashed, archived, registered, a later
version of the same path supersedes the earlier one; the same bytes under another name are a
duplicate). Every file is kept with its ``_file_date`` (the 1st of the month its name gives);
dbt reads the newest file date's rows that are not superseded.

A national file is ~2.7 million rows and ~1 GB, so it is read by DuckDB's CSV reader straight
from the archived copy (all columns as text), never row by row in Python. Only the columns the
platform reads are stored (sen2_bronze_schema.POSTCODE_COLUMNS, matched case-insensitively;
the archive keeps the whole file), trimmed, blank as NULL, with ``postcode_key``: ``pcds`` upper
case with every space removed, what postcodes are matched on. A row without ``pcds`` is
rejected (rule ``required``; no postcode in a message). A file that is not UTF-8 CSV, lacks one
of the columns, or is not named like an NSPL file is quarantined.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

from orchestration.ingest import registry
from orchestration.ingest.csv_reader import Quarantine
from orchestration.ingest.files import LandedFile, files_under, relative_name
from orchestration.ingest.registry import FileOutcome
from orchestration.ingest.runner import (
    FailureCollector, IngestSummary, ingest_one_file, lineage, quarantined,
)
from orchestration.ingest.schema import ensure_bronze_schema, quote, table
from orchestration.ingest.sen2_bronze_schema import (
    LANDING_POSTCODES, POSTCODE_COLUMNS, POSTCODE_KEY, POSTCODES_TABLE,
)
from orchestration.problems import ERROR, Problem

SOURCE = LANDING_POSTCODES  # registry source, and the landing folder
_NAME = re.compile(r"NSPL(?:\d{2})?_([A-Z]{3})_(\d{4})_UK\.csv", re.IGNORECASE)
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


def file_date(file_name: str) -> dt.date | None:
    """The 1st of the month an NSPL file's name gives (``NSPL21_FEB_2025_UK.csv``)."""
    match = _NAME.fullmatch(file_name)
    if not match or match[1].upper() not in _MONTHS:
        return None
    return dt.date(int(match[2]), _MONTHS.index(match[1].upper()) + 1, 1)


def ingest_postcodes(con, landing_dir: Path, archive_dir: Path) -> IngestSummary:
    ensure_bronze_schema(con)
    summary = IngestSummary(SOURCE)
    failures = FailureCollector(summary)
    for path in files_under(Path(landing_dir) / SOURCE):
        with failures.guard(relative_name(path, Path(landing_dir))):
            ingest_one_file(con, landing_dir, archive_dir, path, summary,
                            lambda f, now: load_postcode_file(con, f, now), SOURCE)
    failures.raise_if_any()
    return summary


def load_postcode_file(con, file: LandedFile, now: dt.datetime) -> FileOutcome:
    """Read and check the file in a DuckDB of its own (a read error must not abort the
    warehouse transaction), then insert its rows as one Arrow table."""
    try:
        date = file_date(file.path.name)
        if date is None:
            raise Quarantine("bad_file_name", f"{file.source_file}: a postcode lookup must be"
                             " named like NSPL21_FEB_2025_UK.csv (ONS NSPL, the month and year"
                             " of its release); the file was not loaded")
        with duckdb.connect() as reader:
            _stage(reader, file, _matched_columns(reader, file))
            rows, problems = _accepted(reader, file)
            landed = reader.execute("SELECT count(*) FROM stage").fetchall()[0][0]
    except Quarantine as q:
        return quarantined(SOURCE, file, q)
    registry.insert_arrow(con, table(POSTCODES_TABLE), rows,
                          {**lineage(file, now), "_file_date": date})
    for old_sha in registry.earlier_versions(con, file.source_file, file.sha256):
        registry.mark_superseded(con, file.source_file, old_sha, file.sha256, POSTCODES_TABLE)
    return FileOutcome(SOURCE, file, registry.LOADED, rows_landed=landed,
                       rows_loaded=rows.num_rows, rows_rejected=landed - rows.num_rows,
                       encoding="utf-8", problems=problems)


def _csv(file: LandedFile, **options: str) -> str:
    path = str(file.archived or file.path).replace("'", "''")
    settings = "".join(f", {name} = {value}" for name, value in options.items())
    return (f"read_csv('{path}', header = true, all_varchar = true, delim = ',',"
            f" quote = '\"', escape = '\"'{settings})")


def _unreadable(file: LandedFile, exc: Exception) -> Quarantine:
    return Quarantine("unreadable", f"{file.source_file}: not a readable UTF-8 CSV file"
                      f" ({type(exc).__name__}); export it again as UTF-8 CSV")


def _matched_columns(reader, file: LandedFile) -> dict[str, str]:
    """Each column the platform reads -> its header in the file (case-insensitive)."""
    try:
        headers = [row[0] for row in reader.execute(f"DESCRIBE SELECT * FROM {_csv(file)}")
                   .fetchall()]
    except duckdb.Error as exc:
        raise _unreadable(file, exc) from None
    by_name: dict[str, list[str]] = {}
    for header in headers:
        by_name.setdefault(header.strip().lower(), []).append(header)
    missing = [name for name in POSTCODE_COLUMNS if name not in by_name]
    if missing:
        raise Quarantine("missing_column", f"{file.source_file}: column(s) {', '.join(missing)}"
                         " missing from the header row (an ONS NSPL file has them); the whole"
                         " file was quarantined", column=", ".join(missing))
    return {name: by_name[name][0] for name in POSTCODE_COLUMNS}


def _stage(reader, file: LandedFile, columns: dict[str, str]) -> None:
    """The file's data rows, the platform's columns only (trimmed, blank as NULL; ``_raw``:
    those columns as landed, JSON), numbered as a spreadsheet shows them (header = 1; DuckDB
    skips empty lines, so numbers after one are one short: NSPL files have none)."""
    picked = ", ".join(f"nullif(trim({quote(header)}), '') AS {quote(name)}"
                       for name, header in columns.items())
    raw = ", ".join(f"{quote(h)} := {quote(h)}" for h in columns.values())
    try:  # a row whose every field is blank is not a data row (as for every CSV source)
        reader.execute(f"""CREATE TABLE stage AS
            SELECT _row_number, {picked}, to_json(struct_pack({raw})) AS _raw
            FROM (SELECT row_number() OVER () + 1 AS _row_number,
                         trim(concat_ws('', *COLUMNS(*))) = '' AS _blank, *
                  FROM {_csv(file)})
            WHERE NOT _blank""")
    except duckdb.Error as exc:
        raise _unreadable(file, exc) from None


def _accepted(reader, file: LandedFile):
    """The rows with a postcode, with ``postcode_key`` (Arrow), and a problem for the rest."""
    names = ", ".join(quote(n) for n in POSTCODE_COLUMNS)
    rows = reader.sql(
        f"SELECT {names}, upper(replace(pcds, ' ', '')) AS {quote(POSTCODE_KEY)}, _row_number"
        " FROM stage WHERE pcds IS NOT NULL ORDER BY _row_number").to_arrow_table()
    rejected = reader.execute("SELECT _row_number, _raw FROM stage WHERE pcds IS NULL"
                              " ORDER BY _row_number").fetchall()
    problems = [Problem("required", f"{file.source_file} row {number}, column pcds: is blank"
                        " but required; the row was rejected", number, "pcds", None, ERROR, raw)
                for number, raw in rejected]
    return rows, problems
