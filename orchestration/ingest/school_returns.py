"""School returns: ``school_returns/<YYYY-YY>/*.xlsx``, one workbook per school per year.

The workbook reader (``orchestration.returns.reader``) turns a workbook into text values and
issues; this module registers, archives and stores them:

* ``bronze.return_submissions``: one row per workbook version, status ``valid`` (no error
  issues), ``invalid`` (errors, including a wrong year or URN) or ``quarantined`` (not
  readable as a return). Which valid return is current for a school and year is decided in
  dbt (latest date_completed, then received_at).
* ``bronze.return_places`` / ``return_pupils``: one row per table row, and
  ``return_finance`` / ``return_outcomes``: one row per workbook (form sheets; ``_row_number``
  is NULL, each field's row is fixed by the template layout). A row with an error issue is
  rejected: it is absent from these tables and kept whole in ``load_errors.raw_record``.

A file is a duplicate only of a file with the same bytes that LOADED: a quarantined copy (for
example one filed outside a year folder) never shadows another. A quarantined workbook that is
taken out of the landing folder (or replaced there by other bytes) is registered ``removed``:
it no longer counts as an unreadable return (silver_unreadable_returns, gold's
returns_unreadable); put back, it is ``quarantined`` again.

Registry row counts: rows_landed = Places rows + Pupils rows + 1 per Finance / Outcomes form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import contract
from orchestration.ingest import registry
from orchestration.ingest.files import (
    LandedFile, archive, files_under, landed_file, relative_name, subfolders,
)
from orchestration.problems import ERROR, Problem
from orchestration.ingest.registry import FileOutcome
from orchestration.ingest.runner import (
    FailureCollector, IngestSummary, duplicate_of, transaction,
)
from orchestration.ingest.schema import (  # noqa: F401 - RETURN_TABLES re-exported
    RETURN_TABLES, ensure_bronze_schema, table,
)
from orchestration.returns import layout

SOURCE = "school_returns"
_PERSONAL_HEADERS = {layout.PUPILS_SHEET.column("upn").header}

BATCH_FILES = 250  # workbooks stored per transaction: a few statements per batch, not per file


@dataclass
class _Read:
    """One workbook, read and checked, with the bronze rows it adds (nothing written yet)."""

    outcome: FileOutcome
    rows: dict[str, list[dict]] = field(default_factory=dict)  # bronze table -> records


def ingest_school_returns(con, landing_dir: Path, archive_dir: Path,
                          readers=None) -> IngestSummary:
    """Workbooks are read and stored in batches: each batch is one transaction. If storing a
    batch fails, its files are stored one transaction each, so one bad file does not hold back
    the others (it is reported and retried next run).

    Workbooks are checked against limits and read in worker processes with a memory and time
    limit (returns/guard.py, returns/workers.py), so a hostile one is quarantined and cannot
    crash or exhaust the run. ``readers`` replaces that pool (workers.InProcessReaders: the
    plain in-process reader, the benchmark's baseline)."""
    from orchestration.returns.workers import ReturnReaders

    with readers or ReturnReaders() as reading:
        return _ingest(con, landing_dir, archive_dir, reading)


def _ingest(con, landing_dir: Path, archive_dir: Path, readers) -> IngestSummary:
    from orchestration.returns.reader import ReturnStructureError  # noqa: F401 - fail early

    ensure_bronze_schema(con)
    landing_dir = Path(landing_dir)
    summary = IngestSummary(SOURCE)
    failures = FailureCollector(summary)
    root = landing_dir / contract.LANDING_SCHOOL_RETURNS
    folders = [root, *subfolders(root)]  # links to folders are never followed
    known = registry.registered_versions(con, SOURCE)
    present: dict[str, str | None] = {}  # source_file -> sha256 now landed (None: not hashed)
    batch: list[_Pending] = []
    for path in (path for folder in folders for path in files_under(folder)):
        name = relative_name(path, landing_dir)
        present[name] = None
        with failures.guard(name):
            file = landed_file(path, landing_dir)
            present[name] = file.sha256
            summary.files_seen += 1
            if (file.source_file, file.sha256) in known:
                summary.files_unchanged += 1
                continue
            file = archive(file, archive_dir)
            batch.append(_Pending(file, readers.submit(file.archived or file.path)))
        if len(batch) >= BATCH_FILES:
            _store_batch(con, batch, summary, failures)
            batch = []
    _store_batch(con, batch, summary, failures)
    with transaction(con):
        _mark_removed_quarantines(con, present)
    failures.raise_if_any()
    return summary


def _store_batch(con, pending: list[_Pending], summary: IngestSummary,
                 failures: FailureCollector) -> None:
    batch = _finish_reads(pending, failures)
    if not batch:
        return
    try:
        with transaction(con):
            outcomes = _store(con, batch)
    except Exception:  # noqa: BLE001 - retried file by file, where the error is reported
        outcomes = []
        for item in batch:
            with failures.guard(item.outcome.file.source_file):
                with transaction(con):
                    outcomes += _store(con, [item])
    for outcome in outcomes:
        summary.count(outcome)


def _store(con, batch: list[_Read]) -> list[FileOutcome]:
    """Insert the batch's rows and register its files; a file whose bytes LOADED under another
    path (before, or earlier in the batch) is a duplicate, not loaded again."""
    seen = _loaded_elsewhere(con, [item.outcome.file for item in batch])
    outcomes, rows = [], defaultdict(list)
    for item in batch:
        file = item.outcome.file
        earlier = seen.get(file.sha256)
        if earlier and earlier[0] != file.source_file:
            outcomes.append(duplicate_of(SOURCE, file, *earlier))
            continue
        if item.outcome.status == registry.LOADED:
            seen.setdefault(file.sha256, (file.source_file, item.outcome.status))
        outcomes.append(item.outcome)
        for table_name, records in item.rows.items():
            rows[table_name] += records
    for table_name, records in rows.items():
        registry.insert_records(con, table_name, records)
    loaded = [o.file for o in outcomes if o.status == registry.LOADED]
    for file in _with_earlier_versions(con, loaded):
        for old_sha in registry.earlier_versions(con, file.source_file, file.sha256):
            registry.mark_superseded(con, file.source_file, old_sha, file.sha256)
    registry.register_many(con, outcomes, registry.utc_now())
    return outcomes


def _loaded_elsewhere(con, files: list[LandedFile]) -> dict[str, tuple[str, str]]:
    """sha256 -> (source_file, status) of the first file with those bytes that loaded."""
    found = con.execute(
        f"SELECT sha256, source_file, status FROM {table('file_registry')}"
        " WHERE source = ? AND status = ? AND sha256 IN (SELECT unnest(?))"
        " ORDER BY first_seen_at",
        [SOURCE, registry.LOADED, sorted({f.sha256 for f in files})]).fetchall()
    first: dict[str, tuple[str, str]] = {}
    for sha, source_file, status in found:
        first.setdefault(sha, (source_file, status))
    return first


def _mark_removed_quarantines(con, present: dict[str, str | None]) -> None:
    """Quarantined versions whose file is no longer in the landing folder with those bytes
    become ``removed``; removed versions landed again become ``quarantined``. A path that could
    not be hashed this run is left as it is."""
    rows = con.execute(
        f"SELECT source_file, sha256, status FROM {table('file_registry')}"
        " WHERE source = ? AND status IN (?, ?) AND sha256 IS NOT NULL",
        [SOURCE, registry.QUARANTINED, registry.REMOVED]).fetchall()
    changes = []
    for source_file, sha256, status in rows:
        if source_file in present and present[source_file] is None:
            continue
        now_status = registry.QUARANTINED if present.get(source_file) == sha256 else registry.REMOVED
        if now_status != status:
            changes.append([now_status, SOURCE, source_file, sha256])
    if changes:
        con.executemany(
            f"UPDATE {table('file_registry')} SET status = ?"
            " WHERE source = ? AND source_file = ? AND sha256 = ?", changes)


def _with_earlier_versions(con, files: list[LandedFile]) -> list[LandedFile]:
    """The files whose path has been registered before (re-delivered under the same name)."""
    if not files:
        return []
    paths = {row[0] for row in con.execute(
        f"SELECT DISTINCT source_file FROM {table('file_registry')}"
        " WHERE source_file IN (SELECT unnest(?))", [[f.source_file for f in files]]).fetchall()}
    return [f for f in files if f.source_file in paths]


def _folder_year(file: LandedFile) -> str | None:
    parts = file.source_file.split("/")
    if len(parts) != 3:
        return None
    try:
        return contract.academic_year_label(contract.academic_year_start(parts[1]))
    except ValueError:
        return None


def _received_at(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)


@dataclass
class _Pending:
    """A workbook handed to the readers (returns/workers.py), not yet read back."""

    file: LandedFile
    ticket: object  # workers.Ticket: result() is the ParsedReturn or raises


def _finish_reads(pending: list[_Pending], failures: FailureCollector) -> list[_Read]:
    reads = []
    for item in pending:
        with failures.guard(item.file.source_file):
            reads.append(_read_workbook(item.file, registry.utc_now(), item.ticket))
    return reads


def _read_workbook(file: LandedFile, now: dt.datetime, ticket) -> _Read:
    from orchestration.returns.reader import ReturnStructureError, check_return_context

    year = _folder_year(file)
    base = {"_source_file": file.source_file, "_sha256": file.sha256, "_academic_year": year,
            "_loaded_at": now, "received_at": _received_at(file.path)}
    if year is None:
        return _quarantine(file, base, "bad_folder_name", (
            "returns must be in a folder named by academic year, e.g. school_returns/2024-25/;"
            " move it there and it will be loaded"))
    try:
        parsed = ticket.result()  # read in a worker: crashes and overruns are refusals
    except ReturnStructureError as exc:
        return _quarantine(file, base, exc.rule, exc.reason)
    issues = list(parsed.issues) + check_return_context(parsed, year)
    problems = [_problem(file, issue, parsed) for issue in issues]
    rejected = {(i.sheet, i.row) for i in issues if i.severity == ERROR and i.row is not None}
    rows, landed, loaded = _table_rows(parsed, rejected, base)
    errors = sum(p.severity == ERROR for p in problems)
    rows["return_submissions"] = [{
        **base, **parsed.details.values,
        "status": "invalid" if errors else "valid",
        "status_reason": f"{errors} error(s); see bronze.load_errors" if errors else None,
        "error_count": errors, "warning_count": len(problems) - errors,
    }]
    outcome = FileOutcome(SOURCE, file, registry.LOADED,
                          reason="return has errors (status invalid)" if errors else None,
                          rows_landed=landed, rows_loaded=loaded, rows_rejected=landed - loaded,
                          problems=problems)
    return _Read(outcome, rows)


def _quarantine(file: LandedFile, base: dict, rule: str, reason: str) -> _Read:
    message = f"{file.source_file}: {reason}"
    outcome = FileOutcome(SOURCE, file, registry.QUARANTINED, reason=message,
                          problems=[Problem(rule, message)])
    return _Read(outcome, {"return_submissions": [{
        **base, "status": "quarantined", "status_reason": message,
        "error_count": 1, "warning_count": 0,
    }]})


def _table_rows(parsed, rejected: set, base: dict) -> tuple[dict[str, list[dict]], int, int]:
    """The rows without errors, by bronze table, with (rows landed, rows loaded)."""
    lineage = {k: base[k] for k in ("_source_file", "_sha256", "_academic_year", "_loaded_at")}
    tables: dict[str, list[dict]] = {}
    landed = loaded = 0
    for rows, table_name in ((parsed.places, "return_places"), (parsed.pupils, "return_pupils")):
        keep = [row for row in rows if (row.sheet, row.row) not in rejected]
        tables[table_name] = [
            {**row.values, **lineage, "_sheet": row.sheet, "_row_number": row.row}
            for row in keep]
        landed, loaded = landed + len(rows), loaded + len(keep)
    for form, table_name in ((parsed.finance, "return_finance"),
                             (parsed.outcomes, "return_outcomes")):
        landed += 1
        if any((form.sheet, row) in rejected for row in form.rows.values()):
            continue
        tables[table_name] = [{**form.values, **lineage, "_sheet": form.sheet,
                               "_row_number": None}]
        loaded += 1
    return tables, landed, loaded


def _problem(file: LandedFile, issue, parsed) -> Problem:
    personal = issue.column in _PERSONAL_HEADERS
    message = issue.message
    if personal and issue.value:
        message = message.replace(f"'{issue.value}'", "(value withheld)")
    return Problem(issue.rule, f"{file.source_file} {message}", issue.row, issue.column,
                   issue.value, issue.severity, _raw_record(issue, parsed), personal,
                   issue.sheet, issue.cell)


def _raw_record(issue, parsed) -> str | None:
    for row in parsed.places + parsed.pupils:
        if row.sheet == issue.sheet and row.row == issue.row:
            return json.dumps(row.values, ensure_ascii=False)
    for form in (parsed.details, parsed.finance, parsed.outcomes):
        if form.sheet == issue.sheet:
            return json.dumps(form.values, ensure_ascii=False)
    return None
