"""Writing many workbooks: skip the ones whose content has not changed, spread the rest over
the machine's cores.

Each workbook is a pure function of one picklable item (a ``SchoolReturn``, a ``Feedback``)
and the writer code, so ``content_key`` (sha256 of the item's repr and of the modules in
returns/ and outbox/) says whether the file on disk is
already what would be written. Keys live in ``<folder>/.written.json``; a file that is
missing, or whose size differs from when it was written, is written again. A night where
nothing changed therefore writes nothing, and a full refresh writes in parallel, in worker
processes (openpyxl is pure Python, so threads would not help).

One workbook that cannot be written (a name the file system refuses, a full disk, a bug hit
by one school's data, a worker process that dies) never stops the others: each write is
caught on its own, in the worker and in this process, its path is left empty (no partial or
out-of-date workbook), it is not recorded as written (so the next run tries again) and
:class:`WriteOutcome` names it with the kind of error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

logger = logging.getLogger(__name__)

STATE_FILE = ".written.json"
PARALLEL_FROM = 40  # fewer files than this: start-up of worker processes is not worth it


@functools.cache
def code_version() -> str:
    """sha256 of the modules that shape the workbooks (returns/ and outbox/)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*(package / "returns").glob("*.py"), *(package / "outbox").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(item) -> str:
    """What the file's bytes depend on: the item and the code that writes it."""
    return hashlib.sha256(f"{code_version()}\n{item!r}".encode()).hexdigest()


@dataclass
class WriteOutcome:
    """What :func:`write_changed` did. ``failed`` says what went wrong with each workbook that
    could not be written (the kind of error only, never values from the data)."""

    files: list[Path]  # every file the folder now holds up to date, written now or before
    written: list[Path]  # written by this call
    failed: dict[Path, str] = field(default_factory=dict)


def write_changed(jobs: Sequence[tuple[Path, object]], write: Callable[[Path, object], None],
                  folder: Path) -> WriteOutcome:
    """Write each ``(path, item)`` whose content changed (``write(path, item)``, a top-level
    function). Paths are under ``folder``. A workbook that fails to write (an exception, or
    its worker process dying) is left out, with no partial or out-of-date file at its path,
    and does not stop the others."""
    folder = Path(folder)
    state = _load(folder)
    keys = {path: content_key(item) for path, item in jobs}
    todo = [(path, item) for path, item in jobs if not _is_current(path, keys[path], state, folder)]
    failed = _run(todo, write)
    for path, _ in todo:
        if path in failed:
            state.pop(_name(path, folder), None)
        else:
            state[_name(path, folder)] = {"key": keys[path], "size": path.stat().st_size}
    _save(folder, state, {_name(path, folder) for path, _ in jobs})
    return WriteOutcome(files=[path for path, _ in jobs if path not in failed],
                        written=[path for path, _ in todo if path not in failed],
                        failed={path: failed[path] for path, _ in todo if path in failed})


def _run(todo: list[tuple[Path, object]], write: Callable) -> dict[Path, str]:
    """Write every item; returns what went wrong for each one that failed."""
    workers = min(os.cpu_count() or 1, 8, len(todo) // (PARALLEL_FROM // 2) or 1)
    if len(todo) < PARALLEL_FROM or workers < 2:
        return {path: error for path, item in todo
                if (error := _write_one(write, path, item)) is not None}
    # Worker processes run this module (python -m), not the caller's main script: spawn-based
    # pools re-import __main__, which breaks scripts without a main guard; fork is unsafe in
    # a process with threads (Dagster).
    chunks = [todo[number::workers] for number in range(workers)]
    failed: dict[Path, str] = {}
    with tempfile.TemporaryDirectory(prefix="outbox-") as folder:
        processes = []
        for number, chunk in enumerate(chunks):
            chunk_file = Path(folder) / f"chunk-{number}.pickle"
            chunk_file.write_bytes(pickle.dumps((write, chunk)))
            results = Path(folder) / f"chunk-{number}.results"
            processes.append((results, subprocess.Popen(
                [sys.executable, "-m", __name__, str(chunk_file), str(results)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        for chunk, (results, process) in zip(chunks, processes):
            stderr = process.communicate()[1].decode(errors="replace")
            if process.returncode:  # per-workbook errors are caught: this is the process
                logger.warning("an outbox worker process exited with code %d: %s",
                               process.returncode, stderr[-2000:])
            failed.update(_chunk_failures(chunk, results, process.returncode))
    return failed


def _write_one(write: Callable, path: Path, item) -> str | None:
    """Write one workbook: None when written, else what went wrong (no file is left at
    ``path``: neither a partial workbook nor the out-of-date one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, item)
        return None
    except Exception as error:  # one workbook must never stop the others
        _remove(path)
        return _describe(error)


def _describe(error: Exception) -> str:
    """The kind of error and, for an OS error, the system's words for it: never the
    exception's message, which can quote the data (openpyxl quotes a cell's text)."""
    reason = getattr(error, "strerror", None) if isinstance(error, OSError) else None
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


def _remove(path: Path) -> None:
    try:
        if path.is_file() or path.is_symlink():
            path.unlink()
    except OSError:
        pass


def _chunk_failures(chunk: list[tuple[Path, object]], results: Path,
                    returncode: int) -> dict[Path, str]:
    """The failures a worker recorded, and every item it never finished (it died)."""
    outcomes: dict[int, str | None] = {}
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            try:
                index, error = json.loads(line)
            except ValueError:  # the last line of a worker that died while writing it
                continue
            outcomes[index] = error
    failed = {}
    for index, (path, _) in enumerate(chunk):
        if index not in outcomes:
            _remove(path)
            failed[path] = f"worker process died (exit code {returncode})"
        elif outcomes[index] is not None:
            failed[path] = outcomes[index]
    return failed


def _write_chunk(chunk_file: Path, results: Path) -> None:
    """In a worker: write each item, recording each outcome (one JSON line) as it goes."""
    write, todo = pickle.loads(chunk_file.read_bytes())
    with results.open("a", encoding="utf-8") as out:
        for index, (path, item) in enumerate(todo):
            out.write(json.dumps([index, _write_one(write, path, item)]) + "\n")
            out.flush()


def _name(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _is_current(path: Path, key: str, state: dict, folder: Path) -> bool:
    recorded = state.get(_name(path, folder))
    return bool(recorded and recorded["key"] == key and path.is_file()
                and path.stat().st_size == recorded["size"])


def _load(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save(folder: Path, state: dict, keep: Iterable[str]) -> None:
    keep = set(keep)
    folder.mkdir(parents=True, exist_ok=True)
    kept = {name: entry for name, entry in sorted(state.items()) if name in keep}
    temporary = folder / (STATE_FILE + ".tmp")
    temporary.write_text(json.dumps(kept, indent=0), encoding="utf-8")
    os.replace(temporary, folder / STATE_FILE)


if __name__ == "__main__":
    _write_chunk(Path(sys.argv[1]), Path(sys.argv[2]))
