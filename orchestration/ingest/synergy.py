"""Synergy nightly extracts: ``synergy/<YYYY-MM-DD>/`` with seven CSV files and ``_SUCCESS``.

Each extract is a full snapshot, stored as change history (type-2 by row content): a row
version is opened (``_valid_from``) in the first extract where it appears and closed
(``_valid_to``) in the first later extract where its key's values changed or the row is
absent, so an unchanged night adds no rows. The state as of extract D is
``_valid_from <= D AND (_valid_to IS NULL OR _valid_to > D)``.

One transaction per extract (the unit of consistency: foreign keys resolve within it).
Extracts load in date order; an extract older than the latest loaded one is rejected.
Re-delivered files for the latest loaded extract replace that night: its changes are undone
and the new files applied. If any file is quarantined the whole extract is rejected (loading
the other six would read as every row of that file having vanished); the previous night's
state stays current.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc

from orchestration import contract
from orchestration.ingest import registry
from orchestration.ingest.csv_reader import Quarantine, read_csv
from orchestration.ingest.files import (
    LandedFile, archive, files_under, landed_file, relative_name, subfolders,
)
from orchestration.problems import Problem
from orchestration.ingest.registry import FileOutcome
from orchestration.ingest.runner import (
    FailureCollector, IngestSummary, insert_accepted, lineage, parse_and_check, quarantined,
    transaction,
)
from orchestration.ingest.schema import ensure_bronze_schema, first_row, quote, table
from orchestration.ingest.validate import Checked, Context, reject_orphans

SOURCE = "synergy"
_FILES = {s.file_name: s for s in contract.SYNERGY_FILES}


@dataclass
class Extract:
    folder: Path
    folder_name: str  # synergy/<date>, relative to landing_dir
    extract_date: dt.date | None


def ingest_synergy(con, landing_dir: Path, archive_dir: Path) -> IngestSummary:
    ensure_bronze_schema(con)
    landing_dir, archive_dir = Path(landing_dir), Path(archive_dir)
    summary = IngestSummary(SOURCE)
    failures = FailureCollector(summary)
    for extract in _extracts(landing_dir):
        with failures.guard(extract.folder_name):
            _ingest_extract(con, extract, landing_dir, archive_dir, summary)
    failures.raise_if_any()
    return summary


def _extracts(landing_dir: Path) -> list[Extract]:
    root = landing_dir / contract.LANDING_SYNERGY
    found = []
    for folder in subfolders(root):  # links to folders are never followed
        try:
            date = dt.date.fromisoformat(folder.name)
        except ValueError:
            date = None
        found.append(Extract(folder, relative_name(folder, landing_dir), date))
    return sorted(found, key=lambda e: (e.extract_date or dt.date.max, e.folder.name))


def _ingest_extract(con, extract: Extract, landing_dir: Path, archive_dir: Path,
                    summary: IngestSummary) -> None:
    paths = [p for p in files_under(extract.folder) if p.name != contract.SYNERGY_SUCCESS_MARKER]
    summary.files_seen += len(paths)
    if not (extract.folder / contract.SYNERGY_SUCCESS_MARKER).exists():
        _mark_waiting(con, extract, paths, landing_dir, summary)
        return
    files = [landed_file(p, landing_dir) for p in paths]
    new = {f.source_file for f in files
           if not registry.registered_status(con, f.source_file, f.sha256)}
    if files and not new:
        summary.files_unchanged += len(files)
        return
    files = [archive(f, archive_dir) for f in files]
    now = registry.utc_now()
    with transaction(con):
        registry.clear_waiting(con, extract.folder_name)
        registry.clear_folder_problems(con, extract.folder_name)
        outcomes = _decide_and_load(con, extract, files, new, now)
        for outcome in outcomes:
            registry.register(con, outcome, now)
            summary.count(outcome)
    summary.files_unchanged += len(files) - len(outcomes)


def _mark_waiting(con, extract, paths, landing_dir, summary) -> None:
    reason = (f"{extract.folder_name} has no {contract.SYNERGY_SUCCESS_MARKER} marker yet (still"
              " being written, or the export failed); not loaded, checked again next run")
    waiting = [LandedFile(p, relative_name(p, landing_dir), "", p.lstat().st_size)
               for p in paths]
    with transaction(con):
        registry.replace_waiting(con, SOURCE, extract.folder_name, waiting, reason,
                                 registry.utc_now())
        if extract.extract_date and _extract_status(con, extract.extract_date) is None:
            _save_extract(con, extract.extract_date, "waiting", reason, None, {})
    summary.files_waiting += len(paths)


def _decide_and_load(con, extract: Extract, files: list[LandedFile], new: set[str],
                     now: dt.datetime) -> list[FileOutcome]:
    """Outcomes to register. Rejections only touch file versions not registered before, so a
    night that loaded keeps its registry rows when something is added to its folder later."""
    by_name = {f.path.name: f for f in files}
    stray_outcomes = [
        _rejected(f, f"{f.source_file} is not one of the seven Synergy extract files;"
                     " archived, not loaded")
        for name, f in by_name.items() if name not in _FILES and f.source_file in new]
    new_extract_files = [f for name, f in by_name.items()
                         if name in _FILES and f.source_file in new]
    status = _extract_status(con, extract.extract_date)
    if status == "loaded" and not new_extract_files:
        return stray_outcomes
    problem = _extract_problem(con, extract, by_name)
    if problem:
        registry.record_problems(con, SOURCE, extract.folder_name, None, [problem], now)
        if status != "loaded":
            _save_extract(con, extract.extract_date, "rejected", problem.message, now, {})
        return stray_outcomes + [_rejected(f, problem.message) for f in new_extract_files]
    return stray_outcomes + _load_extract(con, extract, by_name, new, now)


def _extract_problem(con, extract: Extract, by_name: dict) -> Problem | None:
    """Why the extract as a whole cannot load, if it cannot."""
    folder = extract.folder_name
    if extract.extract_date is None:
        return Problem("bad_folder_name", f"{folder}: a Synergy extract folder must be named"
                       " by its extract date, YYYY-MM-DD; not loaded")
    missing = [name for name in _FILES if name not in by_name]
    if missing:
        return Problem("incomplete_extract", f"{folder}: extract is missing"
                       f" {', '.join(missing)}; the whole extract was rejected (nothing loaded)",
                       value=", ".join(missing))
    latest = _latest_loaded(con)
    if latest and extract.extract_date < latest:
        return Problem("out_of_order_extract", f"{folder}: extract is older than the latest"
                       f" loaded extract {latest.isoformat()}; extracts load in date order, so"
                       " this one was archived but not loaded",
                       value=extract.extract_date.isoformat())
    return None


def _rejected(file: LandedFile, reason: str) -> FileOutcome:
    """A file of an extract that is not loaded: its rows are counted when readable."""
    try:
        rows = len(read_csv(file.content(), file.source_file).records)
    except Quarantine:
        rows = 0
    return FileOutcome(SOURCE, file, registry.REJECTED, reason=reason,
                       rows_landed=rows, rows_rejected=rows, rows_inserted=0)


# --- parsing and validating the seven files together -------------------------------------

class _FileQuarantined(Exception):
    def __init__(self, file_name: str, quarantine: Quarantine):
        super().__init__(file_name)
        self.file_name = file_name
        self.quarantine = quarantine


def _check_extract(extract: Extract, by_name: dict) -> tuple[dict, dict]:
    """Checked rows and encoding per file, parents before children (foreign keys)."""
    checked: dict[str, Checked] = {}
    encodings: dict[str, str] = {}
    for source in contract.SYNERGY_FILES:
        file = by_name[source.file_name]
        ctx = Context(file.source_file, extract.extract_date, "extract date")
        try:
            result, encodings[source.file_name], _ = parse_and_check(
                file.content(), source, ctx)
        except Quarantine as q:
            raise _FileQuarantined(source.file_name, q) from None
        for fk in source.foreign_keys:
            reject_orphans(result, source, fk, checked[fk.ref_file], ctx)
        checked[source.file_name] = result
    return checked, encodings


def _load_extract(con, extract: Extract, by_name: dict, new: set[str],
                  now: dt.datetime) -> list[FileOutcome]:
    try:
        checked, encodings = _check_extract(extract, by_name)
    except _FileQuarantined as bad:
        return _reject_for_quarantine(con, extract, by_name, new, bad, now)
    date = extract.extract_date
    if _extract_status(con, date) == "loaded":
        _undo_extract(con, date, by_name)
    counts, outcomes = {}, []
    for source in contract.SYNERGY_FILES:
        file, result = by_name[source.file_name], checked[source.file_name]
        inserted, closed = _apply_changes(con, source, result, file, date, now)
        counts[source.file_name] = {
            "landed": result.rows_landed, "loaded": result.rows_accepted,
            "rejected": result.rows_rejected, "inserted": inserted, "closed": closed,
            "cascaded": result.cascaded.num_rows if result.cascaded is not None else 0,
        }
        outcomes.append(FileOutcome(
            SOURCE, file, registry.LOADED, rows_landed=result.rows_landed,
            rows_loaded=result.rows_accepted, rows_rejected=result.rows_rejected,
            encoding=encodings[source.file_name], problems=result.problems,
            rows_inserted=inserted))
    _save_extract(con, date, "loaded", None, now, counts, len(cascaded_persons(checked)))
    return outcomes


# --- cascades: children whose rows went because a row they depend on was rejected ----------

def cascaded_persons(checked: dict[str, Checked]) -> set[str]:
    """person_id (as landed) of every child with a row rejected by a cascade."""
    persons: set[str] = set()
    for source in contract.SYNERGY_FILES:
        rows = checked[source.file_name].cascaded
        if rows is not None and rows.num_rows:
            persons |= _persons_of(checked, source, rows)
    return persons


def _persons_of(checked: dict[str, Checked], source: contract.CsvSource, rows) -> set[str]:
    """The person_ids behind these rows of ``source``, up its required foreign keys (through
    parent rows whether they loaded or not)."""
    if "person_id" in source.columns:
        return set(rows.column("person_id").drop_null().to_pylist())
    fk = next(fk for fk in source.foreign_keys if not fk.optional)
    parent = _FILES[fk.ref_file]
    wanted = rows.column(fk.column).drop_null().unique()
    up = _person_path_column(parent)
    candidates = checked[fk.ref_file].every_row(list(dict.fromkeys([fk.ref_column, up])))
    matched = candidates.filter(pc.is_in(candidates.column(fk.ref_column), value_set=wanted))
    return _persons_of(checked, parent, matched)


def _person_path_column(source: contract.CsvSource) -> str:
    """The column leading from ``source`` towards person.csv."""
    if "person_id" in source.columns:
        return "person_id"
    return next(fk.column for fk in source.foreign_keys if not fk.optional)


def _reject_for_quarantine(con, extract: Extract, by_name: dict, new: set[str],
                           bad: _FileQuarantined, now: dt.datetime) -> list[FileOutcome]:
    bad_name, q = bad.file_name, bad.quarantine
    reason = (f"{extract.folder_name}: extract rejected because {bad_name} was quarantined"
              f" ({q.message})")
    if _extract_status(con, extract.extract_date) != "loaded":
        _save_extract(con, extract.extract_date, "rejected", reason, now, {})
    outcomes = [quarantined(SOURCE, by_name[bad_name], q)]
    for name, file in by_name.items():
        if name in _FILES and name != bad_name and file.source_file in new:
            outcomes.append(_rejected(file, reason))
    return outcomes


# --- change capture --------------------------------------------------------------------

def row_hash_sql(columns: tuple[str, ...]) -> str:
    """SQL for ``_row_hash``: sha256 of the data columns as a JSON array (nulls kept apart)."""
    return f"sha256(to_json(list_value({', '.join(quote(name) for name in columns)})))"


def _apply_changes(con, source: contract.CsvSource, checked: Checked, file: LandedFile,
                   date: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Close open versions not in tonight's rows, insert tonight's rows not already open."""
    target = table(source.name)
    staging = f"_stage_{source.name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staging} AS SELECT * FROM {target} LIMIT 0")
    insert_accepted(
        con, staging, checked, {name: name for name in source.columns},
        {**lineage(file, now), "_extract_date": date, "_valid_from": date, "_valid_to": None},
        extra_sql=f", {row_hash_sql(source.columns)} AS _row_hash")
    closed = con.execute(
        f"UPDATE {target} SET _valid_to = ? WHERE _valid_to IS NULL AND _row_hash NOT IN"
        f" (SELECT _row_hash FROM {staging})", [date]).fetchall()[0][0]
    inserted = con.execute(
        f"INSERT INTO {target} SELECT * FROM {staging} WHERE _row_hash NOT IN"
        f" (SELECT _row_hash FROM {target} WHERE _valid_to IS NULL)").fetchall()[0][0]
    con.execute(f"DROP TABLE {staging}")
    return inserted, closed


def _undo_extract(con, date: dt.date, by_name: dict) -> None:
    """Take back what extract ``date`` (the latest) changed, before loading its new files."""
    for source in contract.SYNERGY_FILES:
        target = table(source.name)
        con.execute(f"DELETE FROM {target} WHERE _valid_from = ?", [date])
        con.execute(f"UPDATE {target} SET _valid_to = NULL WHERE _valid_to = ?", [date])
        file = by_name[source.file_name]
        for old_sha in registry.earlier_versions(con, file.source_file, file.sha256):
            registry.mark_superseded(con, file.source_file, old_sha, file.sha256)


# --- bronze.synergy_extracts ---------------------------------------------------------------

def _latest_loaded(con) -> dt.date | None:
    return con.execute(
        f"SELECT max(extract_date) FROM {table('synergy_extracts')} WHERE status = 'loaded'"
    ).fetchall()[0][0]


def _extract_status(con, date: dt.date | None) -> str | None:
    if date is None:
        return None
    row = first_row(con, f"SELECT status FROM {table('synergy_extracts')}"
                         " WHERE extract_date = ?", [date])
    return row[0] if row else None


def _save_extract(con, date: dt.date | None, status: str, reason: str | None,
                  loaded_at: dt.datetime | None, counts: dict,
                  persons_cascaded: int = 0) -> None:
    if date is None:
        return
    con.execute(f"DELETE FROM {table('synergy_extracts')} WHERE extract_date = ?", [date])
    total = {k: sum(c[k] for c in counts.values()) if counts else 0
             for k in ("landed", "loaded", "rejected", "inserted", "closed")}
    registry.insert_records(con, "synergy_extracts", [{
        "extract_date": date, "status": status, "reason": reason, "loaded_at": loaded_at,
        "rows_landed": total["landed"], "rows_loaded": total["loaded"],
        "rows_rejected": total["rejected"], "rows_inserted": total["inserted"],
        "rows_closed": total["closed"], "file_counts": json.dumps(counts) if counts else None,
        "persons_cascaded": persons_cascaded,
    }])
