"""One refresh at a time: an exclusive ``flock`` on a file beside the warehouse.

DuckDB has one writer; a second refresh used to die deep inside DuckDB with a lock traceback.
Now whoever writes the warehouse first takes this lock and keeps it until its process ends:
`make run` (orchestration/run_all.py) before it starts anything, and a refresh launched by
the daemon at its first ingest step. The loser fails at once with one line::

    a refresh is already running: run <run id>, pid <pid>

The lock file (``<warehouse>.refresh.lock``) holds the holder's run id and pid as JSON. The
kernel drops a ``flock`` when its process exits, however it exits (``kill -9``, OOM, a crash),
so a stale file never blocks the next night: only a live holder counts.

Within one process the lock is re-entrant: `make run` holds it for its refresh, check history
and outbox runs, and the refresh's ingest step (same process) only records the run id.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

UNKNOWN = "unknown"
# The holder writes its run id just after taking the lock; a loser waits this long to read it.
HOLDER_READ_WAIT_SECONDS = 1.0

_held: dict[Path, int] = {}  # lock file -> open descriptor, for the life of this process


class RefreshAlreadyRunning(RuntimeError):
    def __init__(self, run_id: str, pid: str) -> None:
        self.run_id, self.pid = run_id, pid
        super().__init__(f"a refresh is already running: run {run_id}, pid {pid}")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".refresh.lock")


def hold_refresh_lock(warehouse: Path, run_id: str | None = None) -> Path:
    """Take the refresh lock for the rest of this process's life (or record ``run_id`` if this
    process already holds it). Raises ``RefreshAlreadyRunning`` if another process holds it."""
    path = lock_path(Path(warehouse))
    if path in _held:
        if run_id is not None:
            _write_holder(_held[path], run_id)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RefreshAlreadyRunning(*read_holder(path)) from None
    _held[path] = fd
    _write_holder(fd, run_id)
    return path


def release_refresh_lock(warehouse: Path) -> None:
    """Give the lock up before the process ends (tests; normally the exit releases it)."""
    fd = _held.pop(lock_path(Path(warehouse)), None)
    if fd is not None:
        os.close(fd)


def _write_holder(fd: int, run_id: str | None) -> None:
    content = json.dumps({"run_id": run_id or UNKNOWN, "pid": os.getpid()}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, content, 0)


def read_holder(path: Path) -> tuple[str, str]:
    """(run id, pid) recorded by the lock's holder, ``unknown`` where it has not written yet."""
    deadline = time.monotonic() + HOLDER_READ_WAIT_SECONDS
    while True:
        try:
            holder = json.loads(path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            holder = None
        if isinstance(holder, dict) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    holder = holder if isinstance(holder, dict) else {}
    return str(holder.get("run_id", UNKNOWN)), str(holder.get("pid", UNKNOWN))
