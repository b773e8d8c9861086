"""What every loader shares: the run summary, the per-file transaction, and the generic
loader for sources that land one CSV file per snapshot (GIAS, SRP register, DfE).

Per file: hash -> skip if this path already has these bytes (``unchanged``) -> archive ->
in one transaction: ``duplicate`` if the same bytes were registered under another path,
else parse, validate, insert rows, register. A later version of the same path supersedes
the earlier one once it loads (``_superseded_by_sha256`` on the old rows and registry row).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from orchestration import contract
from orchestration.ingest import registry
from orchestration.ingest.csv_reader import Quarantine, match_columns, read_csv, rows_at
from orchestration.ingest.files import (
    LandedFile, archive, files_under, landed_file, refusal_reason, refused_entries, relative_name,
)
from orchestration.problems import ERROR, WARNING, Problem
from orchestration.ingest.registry import FileOutcome
from orchestration.ingest.schema import column_name, ensure_bronze_schema, ensure_table, table
from orchestration.ingest.validate import Checked, Context, check_rows


@dataclass
class IngestSummary:
    source: str
    files_seen: int = 0
    files_loaded: int = 0
    files_quarantined: int = 0
    files_duplicate: int = 0
    files_waiting: int = 0
    files_unchanged: int = 0
    files_rejected: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_inserted: int = 0  # rows physically added (Synergy: new row versions only)
    errors: int = 0
    warnings: int = 0

    def count(self, outcome: FileOutcome) -> None:
        attribute = f"files_{outcome.status}"
        setattr(self, attribute, getattr(self, attribute) + 1)
        self.rows_loaded += outcome.rows_loaded
        self.rows_rejected += outcome.rows_rejected
        inserted = outcome.rows_inserted
        self.rows_inserted += outcome.rows_loaded if inserted is None else inserted
        self.errors += sum(p.severity == ERROR for p in outcome.problems)
        self.warnings += sum(p.severity == WARNING for p in outcome.problems)

    def as_metadata(self) -> dict:
        """Counts only (never values from the files), ready for Dagster metadata."""
        return dataclasses.asdict(self)


class IngestFailed(RuntimeError):
    """Some files hit an unexpected error (a bug): each was rolled back, the rest loaded."""

    def __init__(self, summary: IngestSummary, failed_files: list[str],
                 errors: dict[str, str] | None = None):
        super().__init__(f"{summary.source}: unexpected error loading {', '.join(failed_files)};"
                         " those files were rolled back and will be retried on the next run")
        self.summary = summary
        self.failed_files = failed_files
        self.errors = errors or {}  # file -> exception class (never its text: may hold values)

    def reason(self, name: str) -> str:
        error = self.errors.get(name, "an unexpected error")
        return (f"could not be loaded ({error}); nothing from it was stored and it will be"
                " tried again on the next run: tell the data team if it persists")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


class FailureCollector:
    """Keeps one file's unexpected exception from stopping the others; re-raised at the end."""

    def __init__(self, summary: IngestSummary):
        self.summary = summary
        self.failed: list[str] = []
        self.errors: dict[str, str] = {}
        self.first_error: BaseException | None = None

    @contextlib.contextmanager
    def guard(self, source_file: str):
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - reported below, after the other files
            self.failed.append(source_file)
            self.errors[source_file] = type(exc).__name__
            self.first_error = self.first_error or exc

    def raise_if_any(self) -> None:
        if self.failed:
            raise IngestFailed(self.summary, self.failed, self.errors) from self.first_error


def quarantined(source: str, file: LandedFile, q: Quarantine) -> FileOutcome:
    problem = Problem(q.rule, q.message, column=q.column)
    return FileOutcome(source, file, registry.QUARANTINED, reason=q.message,
                       rows_landed=q.rows_counted, rows_rejected=q.rows_counted,
                       problems=[problem], rows_inserted=0)


def duplicate_outcome(con, source: str, file: LandedFile) -> FileOutcome | None:
    earlier = registry.same_bytes_elsewhere(con, source, file.source_file, file.sha256)
    if earlier is None:
        return None
    return duplicate_of(source, file, *earlier)


def duplicate_of(source: str, file: LandedFile, other: str, status: str) -> FileOutcome:
    """The outcome of a file whose bytes were registered before under ``other``."""
    reason = f"same bytes as {other} (registered as {status}); not loaded again"
    return FileOutcome(source, file, registry.DUPLICATE, reason=reason)


def lineage(file: LandedFile, now: dt.datetime) -> dict:
    """Lineage columns every row of a file shares (``_row_number`` comes with the rows)."""
    return {"_source_file": file.source_file, "_sha256": file.sha256, "_loaded_at": now}


def insert_accepted(con, target: str, checked: Checked, names: dict[str, str],
                    constants: dict, extra_sql: str = "") -> int:
    """Insert the accepted rows (field ``f`` as column ``names[f]``) with constant columns."""
    renamed = checked.accepted.select(list(names) + ["_row_number"]).rename_columns(
        list(names.values()) + ["_row_number"])
    registry.insert_arrow(con, target, renamed, constants, extra_sql)
    return renamed.num_rows


def parse_and_check(data: bytes, csv_source: contract.CsvSource, ctx: Context,
                    keep_extra_columns: bool = False) -> tuple[Checked, str, dict[str, int]]:
    """Read, match headers, validate. Raises Quarantine for whole-file problems."""
    raw = read_csv(data, ctx.source_file)
    columns, warnings = match_columns(raw, csv_source, ctx.source_file)
    if keep_extra_columns:
        matched = set(columns.values())
        for index, header in enumerate(raw.headers):
            if index not in matched and header.strip():
                columns.setdefault(header.strip().lower(), index)
    checked = check_rows(raw, columns, csv_source, ctx,
                         raw_rows=lambda numbers: rows_at(data, ctx.source_file, numbers))
    checked.problems[:0] = warnings
    return checked, raw.encoding, columns


# --- sources landing one CSV file per snapshot ----------------------------------------------

@dataclass(frozen=True)
class FileFacts:
    """What a file's name says: validation context and lineage values for its rows."""

    context: Context
    row_extras: dict


@dataclass(frozen=True)
class SnapshotCsvSource:
    source: str  # registry source name
    csv: contract.CsvSource
    folder: str  # under landing_dir; every file in it is archived and registered
    facts: Callable[[str, str], FileFacts]  # (file name, source_file) -> facts; Quarantine
    keep_extra_columns: bool = False  # store columns the contract does not list (DfE)


def load_snapshot_file(con, spec: SnapshotCsvSource, file: LandedFile,
                       now: dt.datetime) -> FileOutcome:
    try:
        facts = spec.facts(file.path.name, file.source_file)
        checked, encoding, columns = parse_and_check(
            file.content(), spec.csv, facts.context, spec.keep_extra_columns)
    except Quarantine as q:
        return quarantined(spec.source, file, q)
    table_name = spec.csv.name
    names = {name: column_name(spec.csv, name) if name in spec.csv.columns else name
             for name in columns}
    if spec.keep_extra_columns:
        ensure_table(con, table_name, [(col, "VARCHAR") for col in names.values()])
    insert_accepted(con, table(table_name), checked, names,
                    {**lineage(file, now), **facts.row_extras})
    for old_sha in registry.earlier_versions(con, file.source_file, file.sha256):
        registry.mark_superseded(con, file.source_file, old_sha, file.sha256, table_name)
    return FileOutcome(spec.source, file, registry.LOADED,
                       rows_landed=checked.rows_landed, rows_loaded=checked.rows_accepted,
                       rows_rejected=checked.rows_rejected, encoding=encoding,
                       problems=checked.problems)


def ingest_snapshot_csv(con, landing_dir: Path, archive_dir: Path,
                        spec: SnapshotCsvSource) -> IngestSummary:
    ensure_bronze_schema(con)
    summary = IngestSummary(spec.source)
    failures = FailureCollector(summary)
    for path in files_under(Path(landing_dir) / spec.folder):
        with failures.guard(relative_name(path, Path(landing_dir))):
            ingest_one_file(
                con, landing_dir, archive_dir, path, summary,
                lambda f, now: load_snapshot_file(con, spec, f, now),
                spec.source)
    failures.raise_if_any()
    return summary


def ingest_one_file(con, landing_dir: Path, archive_dir: Path, path: Path,
                    summary: IngestSummary, load: Callable, source: str) -> FileOutcome | None:
    """Hash, skip if unchanged, archive, then load (or mark duplicate) in one transaction.

    ``load(file, now)`` parses the archived copy, inserts rows and returns the outcome."""
    file = landed_file(path, Path(landing_dir))
    summary.files_seen += 1
    if registry.registered_status(con, file.source_file, file.sha256):
        summary.files_unchanged += 1
        return None
    file = archive(file, archive_dir)
    now = registry.utc_now()
    with transaction(con):
        outcome = duplicate_outcome(con, source, file) or load(file, now)
        registry.register(con, outcome, now)
    summary.count(outcome)
    return outcome


# --- files that could not be read: links, special files, unexpected errors -------------------

REFUSED_RULE = "not_a_regular_file"
FAILED_RULE = "load_failed"


def record_unread(con, source: str, landing_dir: Path, failed: IngestFailed | None = None) -> int:
    """Register what this run could not read as ``rejected`` rows with no hash, with the reason
    in the registry and in load_errors: every link and special file under the source's landing
    folder (each source lands in the folder of its name; never opened), and every file whose
    load hit an unexpected error (rolled back; tried again next run). Like waiting rows they
    describe the folder as it is now, so they are replaced on every run and disappear once the
    entry is removed or loads. Returns how many there are."""
    landing_dir = Path(landing_dir)
    con.execute(f"DELETE FROM {table('file_registry')} WHERE source = ? AND status = ?"
                " AND sha256 IS NULL", [source, registry.REJECTED])
    con.execute(f"DELETE FROM {table('load_errors')} WHERE source = ? AND rule IN (?, ?)"
                " AND sha256 IS NULL", [source, REFUSED_RULE, FAILED_RULE])
    unread = [(relative_name(path, landing_dir), REFUSED_RULE, refusal_reason(path))
              for path in refused_entries(landing_dir / source)]
    if failed is not None:
        unread += [(name, FAILED_RULE, failed.reason(name)) for name in failed.failed_files]
    outcomes = [FileOutcome(source, LandedFile(landing_dir / name, name, None, 0),
                            registry.REJECTED, reason=f"{name}: {why}",
                            problems=[Problem(rule, f"{name}: {why}")])
                for name, rule, why in unread]
    registry.register_many(con, outcomes, registry.utc_now())
    return len(outcomes)


def unusable_files(con, landing_dir: Path) -> list[tuple[str, str]]:
    """(file, why) for each file still in the landing folder that could not be used: its
    current version was quarantined or rejected, or it could not be read at all. ``why`` starts
    with the file's name. Files since removed, or replaced by a version that loaded, are not
    listed."""
    rows = con.execute(
        f"SELECT source_file, reason FROM {table('file_registry')}"
        " WHERE status IN (?, ?) AND superseded_by_sha256 IS NULL ORDER BY source_file",
        [registry.QUARANTINED, registry.REJECTED]).fetchall()
    landed = landed_names(Path(landing_dir))
    return [(name, reason if (reason or "").startswith(name) else f"{name}: {reason or 'not used'}")
            for name, reason in rows if name in landed]


def landed_names(landing_dir: Path) -> set[str]:
    """The registry name of every entry now under the landing folder (links not followed)."""
    names = set()
    for root, dirs, files in os.walk(landing_dir):
        names.update(relative_name(Path(root) / name, landing_dir) for name in dirs + files)
    return names
