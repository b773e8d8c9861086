"""SEN2 returns: ``sen2/<YYYY-MM-DD>/`` with ``_SUCCESS`` and either one ``*.xml`` return or
the Blade CSV set (one ``Blade-Export_<dd-mm-yyyy>_<module>.csv`` per module), into the
``bronze.sen2_*`` tables (sen2_bronze_schema.py), one per module.

Folders are handled like Synergy extract folders: without ``_SUCCESS`` the folder waits
(registry rows with no hash, replaced every run); every landed file is archived and registered
(one row per file: its records landed, loaded, rejected); a folder whose files are all
registered with these bytes is skipped; a folder with a file added or changed is loaded again
whole (a Blade set is one return), its earlier versions superseded (``_superseded_by_sha256``)
and the rows of versions read again replaced. A return whose files (all of them) have the same
bytes as one loaded from another folder is a ``duplicate``. Every folder is its own return
(one per census: several give history), so folders load in any order.

Files are read under their landed names (a temporary folder of links) by the SEN2 readers
(orchestration/sen2) and checked by its validator: from the landed files, through the
descriptors opened when they were hashed, while their archive copies are made
(``_archived_while_read``: read, archived and registered bytes are the same, or nothing
loads). A file that cannot be read as a return (``Sen2FileError``; a second return in the
folder; a header naming a year the platform does not read) is quarantined with the rule and
reason, and for a Blade set every file of the set is; nothing from it reaches bronze. A record with an error is rejected
into ``load_errors`` (module in ``sheet``, record position in ``cell``, item in
``column_name``, the record's raw items in ``raw_record``) with every record nested under it
(rule ``parent_rejected``, naming the record and the rule that rejected it).

An XML return is streamed and checked ``BATCH_PERSONS`` persons at a time, so memory holds a
few batches, not the return; a Blade set is one batch. Where the native reader is built
(sen2/native_reader.py) the return is read as columns and only the persons who may have a
problem become records (``_Staged.add_columns``); when that reader is not sure of a file, it is
read again with ``iter_xml``, whose verdict counts. Accepted rows are appended to bronze as
Arrow batches by a writer thread, all in the folder's transaction: a file found unreadable half-way has its rows taken out again and is quarantined,
and an earlier version stays current. One person per UPN or ULN is checked across batches at
the end; a later person record given twice is then taken out with all of theirs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import queue
import re
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from orchestration import contract
from orchestration.ingest import registry
from orchestration.ingest.files import (
    LandedFile, archive, files_under, landed_file, open_regular, relative_name, sha256_of_handle,
    subfolders,
)
from orchestration.ingest.registry import FileOutcome
from orchestration.ingest.runner import FailureCollector, IngestSummary, transaction
from orchestration.ingest.schema import ensure_bronze_schema, table
from orchestration.ingest.sen2_bronze_schema import LANDING_SEN2, sen2_item_columns, sen2_table
from orchestration.problems import ERROR, Problem
from orchestration.sen2 import native_reader, spec
from orchestration.sen2.blade import read_blade
from orchestration.sen2.records import (
    LINE, PARENT, PERSON, POSITION, REASONS, Record, Sen2FileError, Sen2Return,
)
from orchestration.sen2.validate import any_repeated, duplicate_people, suspect_persons, validate
from orchestration.sen2.xml_reader import iter_xml

SOURCE = LANDING_SEN2  # registry source, and the landing folder
SUCCESS_MARKER = contract.SYNERGY_SUCCESS_MARKER  # the same _SUCCESS as Synergy folders
TABLES = [sen2_table(m.key) for m in spec.MODULES]
CASCADE_RULE = "parent_rejected"
BATCH_PERSONS = 20_000  # persons per batch of a streamed XML return (~180k records)
# Rows read as columns are inserted this many or more at a time: DuckDB writes a row group
# (122,880 rows) of a large insert straight to the file, so the commit has little left to do
# (a national return's commit took 3-4 s with inserts of 20,000 rows, 0.3 s with these).
INSERT_ROWS = 122_880
_BLADE_SUFFIXES = tuple(f"_{m.blade}.csv" for m in spec.MODULES)


@dataclass
class Folder:
    path: Path
    name: str  # sen2/<date>, relative to landing_dir
    extract_date: dt.date | None


def ingest_sen2(con, landing_dir: Path, archive_dir: Path) -> IngestSummary:
    ensure_bronze_schema(con)
    landing_dir, archive_dir = Path(landing_dir), Path(archive_dir)
    summary = IngestSummary(SOURCE)
    failures = FailureCollector(summary)
    for folder in _folders(landing_dir):
        with failures.guard(folder.name):
            _ingest_folder(con, folder, landing_dir, archive_dir, summary)
    failures.raise_if_any()
    return summary


def _folders(landing_dir: Path) -> list[Folder]:
    found = []
    for path in subfolders(landing_dir / SOURCE):  # links to folders are never followed
        try:
            date = dt.date.fromisoformat(path.name)
        except ValueError:
            date = None
        found.append(Folder(path, relative_name(path, landing_dir), date))
    return sorted(found, key=lambda f: f.path.name)


def _ingest_folder(con, folder: Folder, landing_dir: Path, archive_dir: Path,
                   summary: IngestSummary) -> None:
    paths = [p for p in files_under(folder.path) if p.name != SUCCESS_MARKER]
    summary.files_seen += len(paths)
    if not (folder.path / SUCCESS_MARKER).exists():
        _mark_waiting(con, folder, paths, landing_dir, summary)
        return
    files = [landed_file(p, landing_dir) for p in paths]
    if not any(not registry.registered_status(con, f.source_file, f.sha256) for f in files):
        summary.files_unchanged += len(files)
        registry.clear_waiting(con, folder.name)
        return
    now = registry.utc_now()
    with _archived_while_read(files, archive_dir) as (readable, read, archived), \
            transaction(con):
        registry.clear_waiting(con, folder.name)
        outcomes = _outcomes(con, folder, readable, now, read)
        copies = {f.source_file: f for f in archived()}
        outcomes = [replace(o, file=copies[o.file.source_file]) for o in outcomes]
        registry.register_many(con, outcomes, now)
    for outcome in outcomes:
        summary.count(outcome)


@contextlib.contextmanager
def _archived_while_read(files: list[LandedFile], archive_dir: Path):
    """Yields the files as the readers should open them, a function to call once they are
    read, and one that returns them archived. The archive copies are made in a thread while
    the return is read from the landed files themselves, through the descriptors opened here
    (a file swapped for a link later is never read); each copy is checked against the hash,
    and once the return is read every landed file is hashed again through its descriptor (in
    a thread, while the load finishes). So what was read is what was archived and registered,
    or the load fails (rolled back, tried again next run). A national-size return's copy
    (seconds) no longer comes before its read. Where /proc/self/fd is missing, the files are
    archived first and read from the archive."""
    if not Path("/proc/self/fd").is_dir():
        copies = [archive(f, archive_dir) for f in files]
        yield copies, lambda: None, lambda: copies
        return
    handles = [open_regular(f.path) for f in files]
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sen2-archive")
    checked: list[Future] = []
    try:
        copying = pool.submit(lambda: [archive(f, archive_dir) for f in files])

        def read() -> None:
            if not checked:
                checked.append(pool.submit(_unchanged, files, handles))

        def archived() -> list[LandedFile]:
            read()
            copies = copying.result()
            checked[0].result()
            return copies

        yield ([replace(f, archived=Path(f"/proc/self/fd/{h.fileno()}"))
                for f, h in zip(files, handles)], read, archived)
    finally:
        pool.shutdown(wait=True)
        for handle in handles:
            handle.close()


def _unchanged(files: list[LandedFile], handles: list) -> None:
    """Each open landed file still has the bytes its hash names."""
    for f, handle in zip(files, handles):
        handle.seek(0)
        if sha256_of_handle(handle) != f.sha256:
            raise OSError(f"{f.source_file} changed while it was being loaded; it will be loaded"
                          " again on the next run")


def _mark_waiting(con, folder: Folder, paths: list[Path], landing_dir: Path,
                  summary: IngestSummary) -> None:
    reason = (f"{folder.name} has no {SUCCESS_MARKER} marker yet (still being written, or the"
              " export failed); not loaded, checked again next run")
    waiting = [LandedFile(p, relative_name(p, landing_dir), "", p.lstat().st_size)
               for p in paths]
    with transaction(con):
        registry.replace_waiting(con, SOURCE, folder.name, waiting, reason, registry.utc_now())
    summary.files_waiting += len(paths)


# --- what the folder holds -------------------------------------------------------------------

def _outcomes(con, folder: Folder, files: list[LandedFile], now: dt.datetime,
              read: Callable[[], None] = lambda: None) -> list[FileOutcome]:
    """Every file's outcome, the return loaded when there is one (``read`` is called once
    its files have been read)."""
    xml = [f for f in files if f.path.name.lower().endswith(".xml")]
    blade = [f for f in files if f.path.name.lower().endswith(_BLADE_SUFFIXES)]
    strays = [f for f in files if f not in xml and f not in blade]
    outcomes = [_quarantined(f, "not_a_sen2_file", f"{f.source_file}: not a SEN2 XML return"
                             " nor a Blade CSV file (*_<module>.csv); archived, not loaded")
                for f in strays]
    return_files = xml or blade
    if folder.extract_date is None:
        return outcomes + _quarantine_all(return_files, Sen2FileError(
            "bad_folder_name", f"{folder.name}: a SEN2 folder must be named by its extract"
                               " date, YYYY-MM-DD; not loaded"))
    if xml and (blade or len(xml) > 1):
        names = ", ".join(f.path.name for f in xml + blade)
        return outcomes + _quarantine_all(xml + blade, Sen2FileError(
            "ambiguous_return", f"{folder.name}: {names} are more than one return (one XML"
                                " return or one Blade set per folder); none was loaded"))
    if not return_files:
        return outcomes
    duplicate = _duplicate_of_loaded(con, return_files)
    if duplicate:
        return outcomes + duplicate
    return outcomes + _load_return(con, folder, return_files, bool(xml), now, read)


def _duplicate_of_loaded(con, files: list[LandedFile]) -> list[FileOutcome] | None:
    """Duplicate outcomes when every file of the return has the bytes of a loaded file in
    another folder (the same return landed twice), else None."""
    earlier = [registry.same_bytes_elsewhere(con, SOURCE, f.source_file, f.sha256)
               for f in files]
    if not all(earlier):
        return None
    return [FileOutcome(SOURCE, f, registry.DUPLICATE,
                        reason=f"same bytes as {other} (registered as {status}); not loaded"
                               " again")
            for f, (other, status) in zip(files, earlier)]


def _quarantined(file: LandedFile, rule: str, reason: str) -> FileOutcome:
    return FileOutcome(SOURCE, file, registry.QUARANTINED, reason=reason,
                       problems=[Problem(rule, reason)], rows_inserted=0)


def _quarantine_all(files: list[LandedFile], error: Sen2FileError) -> list[FileOutcome]:
    reason = error.reason
    if len(files) > 1 and error.rule not in ("ambiguous_return", "bad_folder_name"):
        reason = f"{reason}; the whole Blade set was quarantined (a return needs all its files)"
    return [_quarantined(f, error.rule, reason) for f in files]


@contextlib.contextmanager
def _under_landed_names(files: list[LandedFile]):
    """A temporary folder where each file (as ``_archived_while_read`` gives it to be read) has
    its landed name, so the readers' messages name the landed file."""
    with tempfile.TemporaryDirectory(prefix="sen2-") as temp:
        for f in files:
            os.symlink(f.archived or f.path, Path(temp) / f.path.name)
        yield Path(temp)


def read_batches(folder: Path, xml: bool) -> Iterator[Sen2Return]:
    """The return in the folder in batches, each with the header and whole persons: an XML
    return streamed ``BATCH_PERSONS`` persons at a time (a person's records come together in
    the XML), a Blade set as one batch (its files hold a module each). Sen2FileError when it
    cannot be read (possibly after some batches), or names a year the platform does not read."""
    if not xml:
        result = read_blade(folder)
        _check_year(result.header)
        yield result
        return
    path = next(folder.glob("*"))
    problems: list[Problem] = []  # the reader's, since the last batch
    header, pending, persons = None, [], 0
    for record in iter_xml(path, problems=problems):
        if record.module == "header":
            header = _check_year(record)
            continue
        if record.module == "person":
            if header is not None and persons >= BATCH_PERSONS:
                yield _batch(header, pending, problems)
                pending, persons = [], 0
            persons += 1
        pending.append(record)
    if header is None:
        raise Sen2FileError("missing_header", f"{path.name}: {REASONS['missing_header']}")
    yield _batch(header, pending, problems)


def _check_year(header: Record) -> Record:
    if spec.supported_year(header.values.get("year")) is None:
        raise Sen2FileError("unsupported_year", f"{header.source}: the header's year is not a"
                                                " collection year this platform reads ("
                                                f"{', '.join(map(str, spec.YEARS))}); not loaded")
    return header


def _batch(header: Record, records: list[Record], problems: list[Problem]) -> Sen2Return:
    batch = Sen2Return("xml")
    batch.add(header)
    for record in records:
        batch.add(record)
    batch.problems = list(problems)
    problems.clear()
    return batch


# --- loading a return ------------------------------------------------------------------------

@contextlib.contextmanager
def _without_cycle_collection():
    """Python's cycle collector off while a return loads: it would walk every record held at
    that moment, again and again (records and problems hold no cycles). A 31 MB return
    loaded in 9.3 s instead of 13.7 s on a busy machine (20,000 persons)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_return(con, folder: Folder, files: list[LandedFile], xml: bool,
                 now: dt.datetime, read: Callable[[], None] = lambda: None
                 ) -> list[FileOutcome]:
    staged = _Staged(con, files, folder.extract_date, now)
    try:
        with _under_landed_names(files) as view, _without_cycle_collection():
            as_columns = xml and native_reader.available() and _add_column_batches(staged, view)
            if not as_columns:
                if xml and native_reader.available():  # read again: its rows are taken out
                    staged = _Staged(con, files, folder.extract_date, now)
                for number, batch in enumerate(read_batches(view, xml)):
                    staged.add(batch, first=number == 0)
    except Sen2FileError as error:
        staged.drop()
        return _quarantine_all(files, error)
    except BaseException:
        staged.writer.settle(raise_error=False)  # before the folder's transaction rolls back
        raise
    read()
    loaded = staged.finish()
    problems_by_file = defaultdict(list)
    for p, source in staged.problems:
        problems_by_file[source if source in staged.by_name else files[0].path.name].append(p)
    return [FileOutcome(SOURCE, f, registry.LOADED, rows_landed=staged.landed[f.path.name],
                        rows_loaded=loaded.get(f.source_file, 0),
                        rows_rejected=staged.landed[f.path.name] - loaded.get(f.source_file, 0),
                        encoding="utf-8" if xml else None,
                        problems=problems_by_file[f.path.name])
            for f in files]


def _add_column_batches(staged: _Staged, folder: Path) -> bool:
    """The XML return read by the native reader, as columns; False (the caller reads it again
    with ``iter_xml``, whose verdict counts) when that reader was not sure of the file."""
    path = next(folder.glob("*"))
    try:
        for number, tables in enumerate(_read_ahead(native_reader.column_batches(
                path, batch_persons=BATCH_PERSONS))):
            staged.add_columns(tables, path.name, first=number == 0)
    except native_reader.NativeFallback:
        staged.writer.settle(raise_error=False)
        return False
    return True


def _read_ahead(batches: Iterator) -> Iterator:
    """The batches, each next one read in a thread of its own while the caller checks and
    loads this one (the native reader parses without holding the GIL, and DuckDB inserts
    without it, so the two use both cores). At most two batches wait; an error of the
    reader is raised here; stopping early stops the reader."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not hand_over((batch, None)):
                    return
            hand_over((end, None))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            hand_over((None, error))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="sen2-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            batch, error = ready.get()
            if error is not None:
                raise error
            if batch is end:
                return
            yield batch
    finally:
        stop.set()
        reader.join()


def _these_versions(files: list[LandedFile]) -> tuple[str, list[str]]:
    """A condition on bronze rows: of these file versions (as ``(file, sha256)`` pairs of
    plain comparisons, which DuckDB checks far faster than a concatenation of every row's
    two columns), and its parameters."""
    condition = " OR ".join(["(_source_file = ? AND _sha256 = ?)"] * len(files))
    return f"({condition})", [value for f in files for value in (f.source_file, f.sha256)]


class _Staged:
    """A return's accepted records, appended to bronze batch by batch (DuckDB writes a large
    insert's row groups to the database file as it goes, so memory stays at one batch). Until
    the whole file has been read nothing else changes: a file found unreadable half-way has
    its rows taken out again and earlier versions stay current. A person given twice (one
    person per UPN or ULN) can only be known at the end: the later person record and every
    record of theirs are taken out then."""

    def __init__(self, con, files: list[LandedFile], extract_date: dt.date, now: dt.datetime):
        self.con, self.files, self.extract_date, self.now = con, files, extract_date, now
        self.writer = _Writer()
        self.unwritten: dict[str, list[pa.Table]] = defaultdict(list)  # rows, by module
        self.by_name = {f.path.name: f for f in files}
        self.landed: dict[str, int] = defaultdict(int)  # records per file name
        self.problems: list[tuple[Problem, str]] = []  # each with its file name
        self.persons: list[Record] = []  # person records with their identifiers only
        # the same, of batches added as columns: (file name, their columns)
        self.person_columns: list[tuple[str, pa.Table]] = []
        self.header: Record | None = None
        self.header_cause: dict = {}  # the header's rejection, carried to later batches
        self.these_versions, self.versions = _these_versions(files)
        self.drop()  # rows these very versions loaded before (a folder loaded again)

    def add(self, batch: Sen2Return, first: bool) -> None:
        self._add_checked(batch, first, self._checked(batch, first))

    def add_columns(self, tables: dict[str, pa.Table], source: str, first: bool) -> None:
        """A batch read as columns (native_reader): only the persons whose records may have a
        problem (``suspect_persons``) are read as records and go through ``add``'s checks;
        the others' rows go to bronze as they are. A rejected header rejects everything, so
        then the whole batch goes through ``add``."""
        if first:
            self.header = _header_of(tables, source)
        if not self.header_cause:
            year = spec.supported_year(self.header.values.get("year"))
            reference = spec.parse_date(self.header.values.get("referencedate") or "")
            suspects = suspect_persons(tables, year, reference)
            batch = self._records_of(tables, source, suspects)
            checked = self._checked(batch, first)
            if not any(module == "header" for module, _ in checked[2]):
                self._add_checked(batch, first, checked)
                self._add_rows(tables, source, suspects, year)
                return
        self.add(self._records_of(tables, source, None), first)

    def _records_of(self, tables: dict[str, pa.Table], source: str,
                    persons: set[int] | None) -> Sen2Return:
        """The batch's records (of these persons only, when given), with the header."""
        if persons is not None:
            wanted = pa.array(sorted(persons), pa.int64())
            tables = {module: t.filter(pc.is_in(t[PERSON], value_set=wanted))
                      for module, t in tables.items() if module != "header"}
        batch = Sen2Return("xml")
        batch.add(self.header)
        for record in native_reader.records_from_tables(
                {m: t for m, t in tables.items() if m != "header"}, source):
            batch.add(record)
        return batch

    def _add_rows(self, tables: dict[str, pa.Table], source: str, suspects: set[int],
                  year: int) -> None:
        """The rows of every person but the suspects, straight from their columns."""
        wanted = pa.array(sorted(suspects), pa.int64())
        for module in spec.MODULES[1:]:
            rows = tables.get(module.key)
            if rows is None or not rows.num_rows:
                continue
            if suspects:
                rows = rows.filter(pc.invert(pc.is_in(rows[PERSON], value_set=wanted)))
            self.landed[source] += rows.num_rows
            self.unwritten[module.key].append(rows)
            if sum(t.num_rows for t in self.unwritten[module.key]) >= INSERT_ROWS:
                self._write_rows(module.key, source, year)
            if module.key == "person":
                self.person_columns.append((source, rows.select(
                    [POSITION, PARENT, PERSON, LINE]
                    + [n for n in spec.PERSON_IDENTIFIERS if n in rows.column_names])))

    def _write_rows(self, module: str, source: str, year: int) -> None:
        rows = pa.concat_tables(self.unwritten.pop(module), promote_options="default")
        self.writer.submit(_insert_columns, self.con, table(sen2_table(module)), module, rows,
                           self.by_name[source], year, self.extract_date, self.now)

    def _checked(self, batch: Sen2Return, first: bool):
        problems = [p for p in validate(batch) if p.rule != "duplicate_person"
                    and (first or p.sheet != "header")]
        return rejected_records(batch, problems, self.header_cause)

    def _add_checked(self, batch: Sen2Return, first: bool, checked) -> None:
        rejected, placed, causes = checked
        if first:
            self.header_cause = {k: v for k, v in causes.items() if k[0] == "header"}
        self.problems += placed
        self.persons += [Record("person", r.position, {k: r.values.get(k)
                                                       for k in spec.PERSON_IDENTIFIERS},
                                r.parent, r.person, r.source, r.row)
                         for r in batch.records["person"]]
        for module in spec.MODULES:
            if module.key == "header" and not first:
                continue
            for name, records in _by_file(batch.records[module.key]).items():
                kept = [r for r in records if r.position not in rejected[module.key]]
                self.landed[name] += len(records)
                if kept:  # Python builds the columns here; DuckDB writes them in the writer
                    self.writer.submit(_append, self.con, table(sen2_table(module.key)),
                                       module.key, _record_columns(module.key, kept), len(kept),
                                       self.by_name[name], batch.year, self.extract_date,
                                       self.now)

    def finish(self) -> dict[str, int]:
        """Reject persons given twice, then supersede earlier versions of these files; rows
        loaded per file."""
        if self.unwritten:
            source = self.files[0].path.name  # rows are added as columns from an XML return
            for module in list(self.unwritten):
                self._write_rows(module, source, spec.supported_year(self.header.values["year"]))
        self.writer.settle()
        people = self._people()
        duplicates = duplicate_people(people)
        if duplicates:
            self._reject_persons(duplicates, people)
        self.persons, self.person_columns = [], []
        _supersede_earlier_versions(self.con, self.files)
        loaded: dict[str, int] = defaultdict(int)
        for module in spec.MODULES:
            for source_file, n in self.con.execute(
                    f"SELECT _source_file, count(*) FROM {table(sen2_table(module.key))}"
                    f" WHERE {self.these_versions} GROUP BY ALL",
                    self.versions).fetchall():
                loaded[source_file] += n
        return loaded

    def drop(self) -> None:
        """Take out every row of these file versions."""
        self.writer.settle(raise_error=False)
        for name in TABLES:
            self.con.execute(f"DELETE FROM {table(name)} WHERE {self.these_versions}",
                             self.versions)

    def _people(self) -> list[Record]:
        """Every person record with its identifiers, in file order. The persons of batches
        added as columns are made records only when some identifier is given twice (when
        none is, there is no duplicate to find, and this returns no one)."""
        if not self.person_columns:
            return self.persons
        for name in spec.PERSON_IDENTIFIERS:
            values = [pa.array([r.values.get(name) for r in self.persons], pa.string())]
            values += [rows[name].combine_chunks() for _, rows in self.person_columns
                       if name in rows.column_names]
            if any_repeated(pa.concat_arrays(values)):
                break
        else:
            return []
        people = self.persons + [record for source, rows in self.person_columns for record
                                 in native_reader.records_from_tables({"person": rows}, source)]
        return sorted(people, key=lambda r: r.position)

    def _reject_persons(self, duplicates: list[Problem], people: list[Record]) -> None:
        """Each later person record given twice, and every loaded record of theirs."""
        by_position = {int(p.cell): p for p in duplicates}
        people = {r.position: r for r in people if r.position in by_position}
        positions = list(by_position)
        loaded = {module.key: self._loaded_records(module.key, positions)
                  for module in spec.MODULES[1:]}
        for position, problem in by_position.items():
            person = next((r for r in loaded["person"] if r.position == position),
                          people[position])
            self.problems.append((_at_record(problem, person), person.source))
        for module in spec.MODULES[2:]:
            for record in loaded[module.key]:
                cause = by_position[record.person]
                self.problems.append((_cascade_problem(record, cause, people[record.person]),
                                      record.source))
        for module in spec.MODULES[1:]:
            self.con.execute(f"DELETE FROM {table(sen2_table(module.key))}"
                             f" WHERE {self.these_versions}"
                             " AND _person_position IN ?", [*self.versions, positions])

    def _loaded_records(self, module: str, persons: list[int]) -> list[Record]:
        """The loaded records of these persons, as records again (for their messages)."""
        items = sen2_item_columns(module)
        names = {f.source_file: f.path.name for f in self.files}
        rows = self.con.execute(
            f"SELECT * FROM {table(sen2_table(module))} WHERE {self.these_versions}"
            " AND _person_position IN ? ORDER BY _position", [*self.versions, persons]).fetchall()
        columns = [d[0] for d in self.con.description] if rows else []
        found = []
        for row in (dict(zip(columns, values)) for values in rows):
            found.append(Record(
                module, row["_position"], {k: row[k] for k in items if row[k] is not None},
                row["_parent_position"], row["_person_position"], names[row["_source_file"]],
                row["_row_number"], json.loads(row["_blade_ids"]) if row["_blade_ids"] else {}))
        return found


class _Writer:
    """A return's inserts, run in order in a thread of their own, so DuckDB (which works
    without the GIL) writes one batch while the next is read and checked. About one batch's
    inserts wait at most. ``settle`` waits for them all (and raises the first error) before
    anything else uses the connection: one connection, one transaction, never two threads at
    once."""

    WAITING = 9  # inserts queued (a batch of records: one a module) before ``submit`` waits

    def __init__(self):
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def submit(self, insert, *args) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sen2-write")
        self._pending.append(self._pool.submit(insert, *args))
        while len(self._pending) > self.WAITING:
            self._pending.pop(0).result()

    def settle(self, raise_error: bool = True) -> None:
        pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending]  # waits for each
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        error = next((e for e in errors if e is not None), None)
        if error is not None and raise_error:
            raise error


def _by_file(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        grouped[record.source].append(record)
    return grouped


def _supersede_earlier_versions(con, files: list[LandedFile]) -> None:
    """Other versions of the same paths are superseded by these (a folder landed again)."""
    for f in files:
        for old_sha in registry.earlier_versions(con, f.source_file, f.sha256):
            registry.mark_superseded(con, f.source_file, old_sha, f.sha256)
            for name in TABLES:
                con.execute(f"UPDATE {table(name)} SET _superseded_by_sha256 = ? WHERE"
                            " _source_file = ? AND _sha256 = ? AND _superseded_by_sha256 IS NULL",
                            [f.sha256, f.source_file, old_sha])


def _record_columns(module: str, records: list[Record]) -> dict[str, pa.Array]:
    """The records as Arrow columns: their items (as given), where each record sits and where
    it was read (``_append`` writes them)."""
    values = [r.values for r in records]
    given = set().union(*values)  # items no record holds are a column of nulls
    columns = {name: pa.array(list(map(dict.get, values, repeat(name))), pa.string())
               for name in sen2_item_columns(module) if name in given}
    columns |= {
        "_position": pa.array([r.position for r in records], pa.int64()),
        "_parent_position": pa.array([r.parent for r in records], pa.int64()),
        "_person_position": pa.array([r.person for r in records], pa.int64()),
        "_row_number": pa.array([r.row for r in records], pa.int64()),
        "_blade_ids": pa.array([json.dumps(r.ids) if r.ids else None for r in records],
                               pa.string()),
    }
    return columns


def _insert_columns(con, target: str, module: str, rows: pa.Table, file: LandedFile,
                    year: int, extract_date: dt.date, now: dt.datetime) -> None:
    """Rows read as columns (native_reader), as ``_append`` writes records' columns."""
    if not rows.num_rows:
        return
    columns = {name: rows[name] for name in sen2_item_columns(module) if name in rows.column_names}
    columns |= {"_position": rows[POSITION], "_parent_position": rows[PARENT],
                "_person_position": rows[PERSON], "_row_number": rows[LINE],
                "_blade_ids": pa.nulls(rows.num_rows, pa.string())}
    _append(con, target, module, columns, rows.num_rows, file, year, extract_date, now)


def _append(con, target: str, module: str, columns: dict, n: int, file: LandedFile, year: int,
            extract_date: dt.date, now: dt.datetime) -> None:
    """Item columns (any not given: nulls) trimmed with blanks as NULL, the other columns as
    they are, and the file's lineage as constants."""
    items = {name: _clean(columns.pop(name)) if name in columns else pa.nulls(n, pa.string())
             for name in sen2_item_columns(module)}
    registry.insert_arrow(con, target, pa.table(items | columns), {
        "_collection_year": year, "_extract_date": extract_date,
        "_source_file": file.source_file, "_sha256": file.sha256, "_loaded_at": now})


def _clean(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed, blank as NULL."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


# --- rejections: records with an error, and every record nested under them ------------------

def rejected_records(result: Sen2Return, problems: list[Problem], carried: dict | None = None
                     ) -> tuple[dict[str, set[int]], list[tuple[Problem, str]], dict]:
    """Positions rejected per module, every problem (each with the file it belongs to, naming
    its record in ``sheet``/``cell`` and carrying the record's raw items) with the cascade's
    own added, and each rejected record's cause: (module, position) -> (the first error, the
    record it is on). ``carried``: causes already known (a header rejected in an earlier batch)."""
    index = _RecordIndex(result)
    rejected: dict[str, set[int]] = {m.key: set() for m in spec.MODULES}
    causes: dict[tuple[str, int], tuple[Problem, Record]] = dict(carried or {})
    for module, position in causes:
        rejected[module].add(position)
    placed = []
    for problem in problems:
        record = index.find(problem)
        if record is None:  # named by its row in the message; no record to reject
            placed.append((replace(problem, row_number=None), ""))
            continue
        placed.append((_at_record(problem, record), record.source))
        if problem.severity == ERROR:
            rejected[record.module].add(record.position)
            causes.setdefault((record.module, record.position), (problem, record))
    for module in spec.MODULES[1:]:  # parents before children
        if not rejected[module.parent]:
            continue
        for record in result.records[module.key]:
            cause = (module.parent, record.parent)
            if record.position in rejected[module.key] or cause[1] not in rejected[module.parent]:
                continue
            rejected[module.key].add(record.position)
            causes[(module.key, record.position)] = causes[cause]
            placed.append((_cascade_problem(record, *causes[cause]), record.source))
    return rejected, placed, causes


class _RecordIndex:
    """Finds the record a problem is about: by module and position (validate.py's problems),
    else by the record its message names (the XML reader's ``module 2 requests record 4``),
    else by file and row (the Blade reader's, which name a file's row)."""

    def __init__(self, result: Sen2Return):
        self.result = result
        self._by_row: dict[tuple[str, int], Record] | None = None  # built when first needed
        self._by_position: dict[str, dict[int, Record]] = {}  # the same

    def at(self, module: str, position: int) -> Record | None:
        """A module's records are mostly numbered one after another in their list's order
        (both readers; a batch of a streamed return holds a run of them); the records of some
        persons only (a batch read as columns) are looked up by position."""
        records = self.result.records[module]
        index = position - records[0].position if records else -1
        record = records[index] if 0 <= index < len(records) else None
        if record is not None and record.position == position:
            return record
        if module not in self._by_position:
            self._by_position[module] = {r.position: r for r in records}
        return self._by_position[module].get(position)

    def find(self, problem: Problem) -> Record | None:
        if problem.sheet in spec.MODULE and (problem.cell or "").isdigit():
            return self.at(problem.sheet, int(problem.cell))
        if named := _NAMED_RECORD.search(problem.message):
            return self.at(_MODULE_BY_NUMBER[named[1]], int(named[2]))
        if self._by_row is None:
            self._by_row = {}
            for records in self.result.records.values():
                for record in records:
                    self._by_row.setdefault((record.source, record.row), record)
            self._sources = {source for source, _ in self._by_row}
        source = next((s for s in self._sources if problem.message.startswith(f"{s} ")), None)
        return self._by_row.get((source, problem.row_number))


_MODULE_BY_NUMBER = {m.number: m.key for m in spec.MODULES}
_NAMED_RECORD = re.compile(r"\bmodule (%s) [^,:]*? record (\d+)" % "|".join(_MODULE_BY_NUMBER))


def _header_of(tables: dict[str, pa.Table], source: str) -> Record:
    """The header of a return read as columns (in its first batch), of a year the platform
    reads; the native reader was not sure of a file without one."""
    header = native_reader.records_from_tables({"header": tables.get("header")}, source) \
        if tables.get("header") is not None else []
    if len(header) != 1:
        raise native_reader.NativeFallback("no header in the first batch")
    return _check_year(header[0])


def _raw_record(record: Record) -> str:
    """The record's items in the order of its bronze table's columns (then any other item by
    name), whichever way it was read, and the Blade identifiers."""
    order = _item_order(record.module)
    items = sorted(record.values.items(), key=lambda item: (order.get(item[0], len(order)),
                                                            item[0]))
    return json.dumps(dict(items) | record.ids, ensure_ascii=False)


@lru_cache(maxsize=None)
def _item_order(module: str) -> dict[str, int]:
    return {name: n for n, name in enumerate(sen2_item_columns(module))}


def _at_record(problem: Problem, record: Record) -> Problem:
    return replace(problem, sheet=record.module, cell=str(record.position),
                   row_number=record.row if problem.row_number is None else problem.row_number,
                   raw_record=problem.raw_record or _raw_record(record))


def _cascade_problem(record: Record, cause: Problem, rejected: Record) -> Problem:
    message = (f"{record.source} {record.where}: belongs to {rejected.where}, which was"
               f" rejected (rule {cause.rule} on item {cause.column}), so it was rejected with it")
    return Problem(CASCADE_RULE, message, record.row, None, None, ERROR, _raw_record(record),
                   False, sheet=record.module, cell=str(record.position))

