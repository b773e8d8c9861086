"""Writing many workbooks: skip the ones whose content has not changed, spread the rest over
the machine's cores.

Each workbook is a pure function of one picklable item (a ``SchoolReturn``, a ``Feedback``)
and the writer code, so ``content_key`` (sha256 of the item's repr and of the modules in
returns/ and outbox/) says whether the file on disk is
already what would be written. Keys live in ``<folder>/.written.json``; a file that is
missing, or whose size differs from when it was written, is written again. A night where
nothing changed therefore writes nothing, and a full refresh writes in parallel, in worker
processes (openpyxl is pure Python, so threads would not help).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Sequence

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


def write_changed(jobs: Sequence[tuple[Path, object]], write: Callable[[Path, object], None],
                  folder: Path) -> list[Path]:
    """Write each ``(path, item)`` whose content changed (``write(path, item)``, a top-level
    function); returns the paths written. Paths are under ``folder``."""
    folder = Path(folder)
    state = _load(folder)
    keys = {path: content_key(item) for path, item in jobs}
    todo = [(path, item) for path, item in jobs if not _is_current(path, keys[path], state, folder)]
    for path, _ in todo:
        path.parent.mkdir(parents=True, exist_ok=True)
    _run(todo, write)
    for path, _ in todo:
        state[_name(path, folder)] = {"key": keys[path], "size": path.stat().st_size}
    _save(folder, state, {_name(path, folder) for path, _ in jobs})
    return [path for path, _ in todo]


def _run(todo: list[tuple[Path, object]], write: Callable) -> None:
    workers = min(os.cpu_count() or 1, 8, len(todo) // (PARALLEL_FROM // 2) or 1)
    if len(todo) < PARALLEL_FROM or workers < 2:
        for path, item in todo:
            write(path, item)
        return
    # Worker processes run this module (python -m), not the caller's main script: spawn-based
    # pools re-import __main__, which breaks scripts without a main guard; fork is unsafe in
    # a process with threads (Dagster).
    with tempfile.TemporaryDirectory(prefix="outbox-") as folder:
        processes = []
        for number in range(workers):
            chunk = Path(folder) / f"chunk-{number}.pickle"
            chunk.write_bytes(pickle.dumps((write, todo[number::workers])))
            processes.append(subprocess.Popen(
                [sys.executable, "-m", __name__, str(chunk)], stderr=subprocess.PIPE))
        failures = [process.communicate()[1].decode(errors="replace")[-2000:]
                    for process in processes]
        failed = [error for process, error in zip(processes, failures) if process.returncode]
        if failed:
            raise RuntimeError(f"writing workbooks failed in a worker process:\n{failed[0]}")


def _write_chunk(chunk: Path) -> None:
    write, todo = pickle.loads(chunk.read_bytes())
    for path, item in todo:
        write(path, item)


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
    _write_chunk(Path(sys.argv[1]))
