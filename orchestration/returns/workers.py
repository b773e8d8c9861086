"""Read returned workbooks in worker processes, so a hostile workbook costs one quarantined
file and never the run.

A Rust reader that runs out of memory aborts its process (not an exception), and a workbook
can be built to ask for hundreds of GiB. So each workbook is checked (guard.py) and read in a
small pool of long-lived worker processes, each under an address-space limit
(``WORKER_MEMORY_LIMIT_BYTES``) and a per-workbook time limit (``READ_TIMEOUT_S``). A worker
that dies (signal, abort, out of memory) or overruns is replaced; its workbook comes back as
a refusal with rule ``reader_crashed`` or ``reader_timeout``, which the caller quarantines like
any unreadable return, and the other workbooks go on.

Workers start once per ingest, not per file, and run ``python -m orchestration.returns.workers``
(this module, stdlib imports only until the limit is set), never the caller's main script:
Dagster's run worker imports far too much to fork or re-import. Requests (a path) and replies
(a tuple) are length-prefixed pickles over the worker's stdin and stdout; the worker points
its own fd 1 at stderr so nothing a library prints can corrupt a reply.

    with ReturnReaders() as readers:
        for file, read in readers.read_in_order(files, lambda f: f.path):
            parsed = read.result()  # ParsedReturn, or raises ReturnStructureError

``InProcessReaders`` has the same interface and reads in the calling process with no limits
(the benchmark's baseline; never for files from outside).
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

MiB = 1024 * 1024
# Address space (RLIMIT_AS) of each worker: an idle worker maps ~160 MB, reading a 10,000-row
# return ~225 MB. Virtual, not resident, memory: allocator and library mappings count too.
WORKER_MEMORY_LIMIT_BYTES = 1024 * MiB
READ_TIMEOUT_S = 60.0  # per workbook; a realistic return takes ~10 ms, 10,000 rows ~1 s
START_TIMEOUT_S = 120.0  # a worker's imports, on a busy machine
STOP_TIMEOUT_S = 5.0
MAX_WORKERS = 4  # never more than the machine's cores
READ_AHEAD_PER_WORKER = 4  # workbooks taken from the input ahead of the one being returned

_LENGTH = struct.Struct("!Q")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T")


class WorkbookReadFailed(RuntimeError):
    """The reader hit an unexpected error (a bug, not the workbook): the traceback is here."""


@dataclass
class WorkbookRead:
    """One workbook's outcome: parsed, refused (reason, rule) or failed (a traceback)."""

    parsed: object = None
    refusal: tuple[str, str] | None = None
    failure: str | None = None

    def result(self):
        """The ParsedReturn; raises ReturnStructureError (refused) or WorkbookReadFailed."""
        from orchestration.returns.reader import ReturnStructureError

        if self.refusal:
            raise ReturnStructureError(*self.refusal)
        if self.failure:
            raise WorkbookReadFailed(self.failure)
        return self.parsed


def crashed(how: str) -> WorkbookRead:
    return WorkbookRead(refusal=(
        f"the workbook could not be read: it made the reader stop ({how}), which happens when a"
        f" workbook needs more than the {WORKER_MEMORY_LIMIT_BYTES / 1024 ** 3:g} GB a return may"
        " use; check it has no data or formatting far below or to the right of the template's "
        "cells, or copy your answers into a fresh copy of the council's template, and send it "
        "again", "reader_crashed"))


def timed_out(seconds: float) -> WorkbookRead:
    return WorkbookRead(refusal=(
        f"the workbook could not be read: reading it took more than {seconds:g} seconds (a "
        "return takes well under one); check it has no data or formatting far below or to the "
        "right of the template's cells, or copy your answers into a fresh copy of the council's"
        " template, and send it again", "reader_timeout"))


def read_here(path: Path, guarded: bool = True) -> WorkbookRead:
    """Read one workbook in this process: checked against the guard's limits if ``guarded``."""
    from orchestration.returns import guard
    from orchestration.returns.reader import ReturnStructureError, read_return_workbook

    try:
        if guarded:
            guard.check_workbook(path)
        parsed = read_return_workbook(path, max_area=guard.MAX_AREA if guarded else None)
        return WorkbookRead(parsed=parsed)
    except ReturnStructureError as error:
        return WorkbookRead(refusal=(error.reason, error.rule))
    except MemoryError:
        return crashed("out of memory")
    except Exception:  # noqa: BLE001 - a bug: reported by the caller with its traceback
        return WorkbookRead(failure=traceback.format_exc())


class InProcessReaders:
    """The plain reader in the calling process: no limits, no isolation. For the benchmark's
    baseline and for trusted files only."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def read_in_order(self, items: Iterable[T],
                      path_of: Callable[[T], Path] = Path) -> Iterator[tuple[T, WorkbookRead]]:
        for item in items:
            yield item, read_here(path_of(item), guarded=False)


class ReturnReaders:
    """A pool of worker processes reading workbooks (see the module docstring)."""

    def __init__(self, workers: int | None = None,
                 memory_limit: int = WORKER_MEMORY_LIMIT_BYTES,
                 timeout: float = READ_TIMEOUT_S):
        self.max_workers = workers or min(os.cpu_count() or 1, MAX_WORKERS)
        self.memory_limit = memory_limit
        self.timeout = timeout
        self._workers: list[_Worker] = []
        self._selector = selectors.DefaultSelector()
        self.started = 0  # worker processes started, replacements included

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for worker in list(self._workers):
            self._retire(worker)
        self._selector.close()

    def read_in_order(self, items: Iterable[T],
                      path_of: Callable[[T], Path] = Path) -> Iterator[tuple[T, WorkbookRead]]:
        """(item, its WorkbookRead) for each item, in input order. Items are taken from
        ``items`` (which may be a generator doing work of its own) only a few ahead."""
        source = iter(items)
        waiting: deque[tuple[int, T, Path]] = deque()
        done: dict[int, tuple[T, WorkbookRead]] = {}
        taken = returned = 0
        window = READ_AHEAD_PER_WORKER * self.max_workers
        exhausted = False
        while True:
            while not exhausted and taken - returned < window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                    break
                waiting.append((taken, item, Path(path_of(item))))
                taken += 1
                self._dispatch(waiting)
            self._dispatch(waiting)
            if returned in done:
                yield done.pop(returned)
                returned += 1
            elif exhausted and returned == taken:
                return
            else:
                self._wait(done)

    # --- the pool --------------------------------------------------------------------------

    def _dispatch(self, waiting: deque) -> None:
        """Send waiting workbooks to idle workers; start workers (up to the maximum) while
        more workbooks wait than workers are starting."""
        for worker in self._workers:
            if waiting and worker.ready and worker.job is None:
                worker.send(*waiting.popleft(), self.timeout)
        starting = sum(not worker.ready for worker in self._workers)
        while len(waiting) > starting and len(self._workers) < self.max_workers:
            self._start()
            starting += 1

    def _start(self) -> None:
        worker = _Worker(self.memory_limit)
        self._workers.append(worker)
        self._selector.register(worker.replies, selectors.EVENT_READ, worker)
        self.started += 1

    def _retire(self, worker: _Worker) -> None:
        self._selector.unregister(worker.replies)
        self._workers.remove(worker)
        worker.stop()

    def _wait(self, done: dict) -> None:
        """Block until a worker replies, dies or overruns; record what happened."""
        deadlines = [w.deadline for w in self._workers]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        for key, _ in self._selector.select(timeout):
            worker: _Worker = key.data
            reply = worker.receive()
            if not worker.ready:
                if reply is None:
                    how = worker.exit_description()
                    self._retire(worker)
                    raise RuntimeError(f"a workbook reader process could not start ({how})")
                worker.ready, worker.deadline = True, float("inf")
                continue
            index, item = worker.job
            if reply is None:
                done[index] = (item, crashed(worker.exit_description()))
                self._retire(worker)
                continue
            done[index] = (item, _from_reply(reply))
            worker.job, worker.deadline = None, float("inf")
            if reply[0] == "refused" and reply[2] == "reader_crashed":
                self._retire(worker)  # out of memory: a fresh process for the next workbook
        now = time.monotonic()
        for worker in [w for w in self._workers if w.deadline <= now]:
            if worker.job is None:
                self._retire(worker)
                raise RuntimeError("a workbook reader process did not start in "
                                   f"{START_TIMEOUT_S:g} s")
            index, item = worker.job
            worker.kill()
            done[index] = (item, timed_out(self.timeout))
            self._retire(worker)


_END = object()


def _from_reply(reply: tuple) -> WorkbookRead:
    kind, *rest = reply
    if kind == "parsed":
        return WorkbookRead(parsed=rest[0])
    if kind == "refused":
        return WorkbookRead(refusal=(rest[0], rest[1]))
    return WorkbookRead(failure=rest[0])


class _Worker:
    """One worker process; ``job`` is the (index, item) it is reading, if any."""

    def __init__(self, memory_limit: int):
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(_PACKAGE_ROOT),
                                                           os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(memory_limit)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True)
        self.replies = self.process.stdout
        self.ready = False
        self.job: tuple[int, object] | None = None
        self.deadline = time.monotonic() + START_TIMEOUT_S

    def send(self, index: int, item, path: Path, timeout: float) -> None:
        self.job = (index, item)
        self.deadline = time.monotonic() + timeout
        try:
            _write_message(self.process.stdin, str(path))
        except (BrokenPipeError, OSError):
            pass  # the worker died: its reply reads as end of file, i.e. a crash

    def receive(self) -> tuple | None:
        """The next reply, or None if the worker died before sending one whole."""
        return _read_message(self.replies.fileno())

    def exit_description(self) -> str:
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            return "it stopped answering"
        if code < 0:
            try:
                return f"signal {signal.Signals(-code).name}"
            except ValueError:
                return f"signal {-code}"
        return f"exit code {code}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """An idle worker ends at the end of its input; one starting or reading is killed."""
        if not self.ready or self.job is not None:
            self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()


def _write_message(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_message(fd: int):
    header = _read_exactly(fd, _LENGTH.size)
    if header is None:
        return None
    data = _read_exactly(fd, _LENGTH.unpack(header)[0])
    return None if data is None else pickle.loads(data)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --- the worker process --------------------------------------------------------------------

def _serve(memory_limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into a reply
    from orchestration.returns import guard, reader  # noqa: F401 - imported once, up front

    _write_message(replies, ("ready",))
    while (request := _read_message(0)) is not None:
        outcome = read_here(Path(request))
        if outcome.refusal:
            reply = ("refused", *outcome.refusal)
        elif outcome.failure:
            reply = ("failed", outcome.failure)
        else:
            reply = ("parsed", outcome.parsed)
        _write_message(replies, reply)
        if outcome.refusal and outcome.refusal[1] == "reader_crashed":
            return  # after a MemoryError the parent starts a fresh worker


if __name__ == "__main__":
    try:
        _serve(int(sys.argv[1]))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped reading: nothing to report to
