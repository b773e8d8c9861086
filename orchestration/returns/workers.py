"""Read returned workbooks in worker processes, so a hostile workbook costs one quarantined
file and never the run.

A Rust reader that runs out of memory aborts its process (not an exception), and a workbook
can be built to ask for hundreds of GiB. So each workbook is checked (guard.py) and read in a
small pool of long-lived worker processes, each under an address-space limit
(``WORKER_MEMORY_LIMIT_BYTES``) and a per-workbook time limit (``READ_TIMEOUT_S``). A worker
that dies (signal, abort, out of memory) or overruns is replaced; its workbook comes back as
a refusal with rule ``reader_crashed`` or ``reader_timeout``, which the caller quarantines like
any unreadable return, and the other workbooks go on.

Workers start at the first workbook of an ingest (never per file, none on a night with no new
workbook) and run ``python -m orchestration.returns.workers`` (this module, stdlib imports only
until the limit is set), never the caller's main script: Dagster's run worker imports far too
much to fork or re-import. They get no secrets in their environment and die with the process
that started them, even when it is killed with SIGKILL. Each worker has up to
``QUEUED_PER_WORKER`` workbooks queued so it never waits for the caller. Requests (a path) and
replies (a tuple) are length-prefixed pickles over the worker's stdin and stdout; the worker
points its own fd 1 at stderr so nothing a library prints can corrupt a reply.

    with ReturnReaders() as readers:
        tickets = [readers.submit(path) for path in paths]  # read while the caller goes on
        for ticket in tickets:
            parsed = ticket.result()  # a ParsedReturn, or raises ReturnStructureError

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

MiB = 1024 * 1024
# Address space (RLIMIT_AS) of each worker: an idle worker maps ~160 MB, reading a 10,000-row
# return ~225 MB. Virtual, not resident, memory: allocator and library mappings count too.
WORKER_MEMORY_LIMIT_BYTES = 1024 * MiB
READ_TIMEOUT_S = 60.0  # per workbook; a realistic return takes ~10 ms, 10,000 rows ~1 s
START_TIMEOUT_S = 120.0  # a worker's imports, on a busy machine
STOP_TIMEOUT_S = 5.0
MAX_WORKERS = 4  # never more than the machine's cores
QUEUED_PER_WORKER = 2  # workbooks sent to a worker at once, so it never waits for the caller

_LENGTH = struct.Struct("!Q")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_WORKER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "RUST_BACKTRACE")


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


class Ticket:
    """A workbook handed to a reader; ``result()`` waits for it."""

    def __init__(self, path: Path, readers=None, outcome: WorkbookRead | None = None):
        self.path = path
        self.outcome = outcome
        self._readers = readers

    def result(self):
        """The ParsedReturn; raises ReturnStructureError (refused) or WorkbookReadFailed."""
        while self.outcome is None:
            self._readers._wait(block=True)
        return self.outcome.result()


class InProcessReaders:
    """The plain reader in the calling process: no limits, no isolation. For the benchmark's
    baseline and for trusted files only."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def submit(self, path: Path) -> Ticket:
        return Ticket(Path(path), outcome=read_here(Path(path), guarded=False))


class ReturnReaders:
    """A pool of worker processes reading workbooks (see the module docstring). Workers start
    at the first ``submit`` (none on a night with no new workbook) and stop on ``close``."""

    def __init__(self, workers: int | None = None,
                 memory_limit: int = WORKER_MEMORY_LIMIT_BYTES,
                 timeout: float = READ_TIMEOUT_S):
        self.max_workers = workers or min(_usable_cores(), MAX_WORKERS)
        self.memory_limit = memory_limit
        self.timeout = timeout
        self.started = 0  # worker processes started, replacements included
        self._workers: list[_Worker] = []
        self._waiting: deque[Ticket] = deque()
        self._selector = selectors.DefaultSelector()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def submit(self, path: Path) -> Ticket:
        """Queue a workbook; it is read while the caller goes on (call ``result()`` later)."""
        ticket = Ticket(Path(path), self)
        self._waiting.append(ticket)
        self._wait(block=False)
        return ticket

    def close(self) -> None:
        for worker in list(self._workers):
            self._retire(worker)
        self._selector.close()

    # --- the pool --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Send waiting workbooks to idle workers; start workers (up to the maximum) while
        more workbooks wait than workers are starting."""
        for depth in range(QUEUED_PER_WORKER):  # one each first, then a second each
            for worker in self._workers:
                if self._waiting and worker.ready and len(worker.jobs) == depth:
                    worker.send(self._waiting.popleft(), self.timeout)
        starting = sum(not worker.ready for worker in self._workers)
        while len(self._waiting) > starting and len(self._workers) < self.max_workers:
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

    def _wait(self, block: bool) -> None:
        """Take in replies (waiting for one, or a death or overrun, if ``block``), then hand
        out more work."""
        self._dispatch()
        deadlines = [w.deadline for w in self._workers]
        if block and not deadlines:
            raise RuntimeError("waiting for a workbook no reader process is reading")
        timeout = max(0.0, min(deadlines) - time.monotonic()) if block else 0.0
        for key, _ in self._selector.select(timeout):
            self._take_reply(key.data)
        now = time.monotonic()
        for worker in [w for w in self._workers if w.deadline <= now]:
            if not worker.jobs:
                self._retire(worker)
                raise RuntimeError("a workbook reader process did not start in "
                                   f"{START_TIMEOUT_S:g} s")
            worker.kill()
            self._lost(worker, timed_out(self.timeout))
        self._dispatch()

    def _take_reply(self, worker: _Worker) -> None:
        reply = worker.receive()
        if not worker.ready:
            if reply is None:
                how = worker.exit_description()
                self._retire(worker)
                raise RuntimeError(f"a workbook reader process could not start ({how})")
            worker.ready, worker.deadline = True, float("inf")
            return
        if reply is None:
            self._lost(worker, crashed(worker.exit_description()))
            return
        ticket = worker.jobs.popleft()
        ticket.outcome = _from_reply(reply)
        worker.deadline = time.monotonic() + self.timeout if worker.jobs else float("inf")
        if reply[0] == "refused" and reply[2] == "reader_crashed":
            self._lost(worker, None)  # out of memory: a fresh process for what follows

    def _lost(self, worker: _Worker, outcome: WorkbookRead | None) -> None:
        """A worker died, overran or must be replaced: the workbook it was reading gets
        ``outcome``; the ones queued behind it, never started, go back to the front."""
        if outcome is not None:
            worker.jobs.popleft().outcome = outcome
        self._waiting.extendleft(reversed(worker.jobs))
        worker.jobs.clear()
        self._retire(worker)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:
        return os.cpu_count() or 1


def _from_reply(reply: tuple) -> WorkbookRead:
    kind, *rest = reply
    if kind == "parsed":
        return WorkbookRead(parsed=rest[0])
    if kind == "refused":
        return WorkbookRead(refusal=(rest[0], rest[1]))
    return WorkbookRead(failure=rest[0])


class _Worker:
    """One worker process; ``jobs``: the tickets sent to it, the first being read."""

    def __init__(self, memory_limit: int):
        # No secrets in a process that parses files from outside: only what Python needs.
        env = {name: os.environ[name] for name in _WORKER_ENV if name in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT),
                                                          os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(memory_limit), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True)
        self.replies = self.process.stdout
        self.ready = False
        self.jobs: deque[Ticket] = deque()
        self.deadline = time.monotonic() + START_TIMEOUT_S

    def send(self, ticket: Ticket, timeout: float) -> None:
        self.jobs.append(ticket)
        if len(self.jobs) == 1:
            self.deadline = time.monotonic() + timeout
        try:
            _write_message(self.process.stdin, str(ticket.path))
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
        if not self.ready or self.jobs:
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

def _serve(memory_limit: int, parent: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    _end_with_parent(parent)
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


def _end_with_parent(parent: int) -> None:
    """Linux: a worker is killed when the process that started it dies (even by kill -9), so
    a stuck read never outlives its run. Elsewhere it ends at the end of its input."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it died before prctl
            os._exit(0)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    try:
        _serve(int(sys.argv[1]), int(sys.argv[2]))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped reading: nothing to report to
