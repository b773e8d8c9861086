"""Processes as the kernel lists them under /proc (Linux): who descends from whom, and whether
a process seen earlier is still the same living process.

A process is named by its pid *and* its start time, so a pid the kernel hands to a new process
later is never mistaken for the one recorded. A zombie (ended, not yet reaped) counts as gone.
Used by the `make ui` supervisor (orchestration/ui.py) and its tests.
"""

from __future__ import annotations

import ctypes
import os
import signal
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Process:
    pid: int
    started: int  # clock ticks after boot (/proc/<pid>/stat field 22)


@dataclass(frozen=True)
class Status:
    process: Process
    parent: int
    group: int
    state: str


def status(pid: int) -> Status | None:
    """The process's state, parent and group, or None if there is no such process."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
        # after "pid (comm)": state, ppid, pgrp, ..., starttime is the 20th field
        fields = text.rsplit(")", 1)[1].split()
        return Status(Process(pid, int(fields[19])), int(fields[1]), int(fields[2]), fields[0])
    except (OSError, IndexError, ValueError):
        return None


def all_statuses() -> dict[int, Status]:
    found = {}
    for entry in os.listdir(PROC):
        if entry.isdigit() and (found_status := status(int(entry))) is not None:
            found[found_status.process.pid] = found_status
    return found


def descendants(root: int) -> set[Process]:
    """Every living process below ``root`` (children, their children, ...), zombies excluded."""
    children: dict[int, list[Status]] = {}
    for item in all_statuses().values():
        children.setdefault(item.parent, []).append(item)
    found: set[Process] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child.state not in ("Z", "X"):
                found.add(child.process)
            stack.append(child.process.pid)
    return found


def is_alive(process: Process) -> bool:
    """True while the recorded process runs (a reused pid or a zombie is not it)."""
    now = status(process.pid)
    return now is not None and now.process == process and now.state not in ("Z", "X")


def living(processes: set[Process]) -> set[Process]:
    return {p for p in processes if is_alive(p)}


def send(processes: set[Process], sig: int) -> None:
    """Send ``sig`` to each recorded process that is still the one recorded."""
    for process in processes:
        if is_alive(process):
            try:
                os.kill(process.pid, sig)
            except ProcessLookupError:
                pass


def command_line(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def become_subreaper() -> None:
    """Orphans of this process's tree are re-parented here rather than to init, so they stay
    its descendants and can be found and ended (the caller must reap them)."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have the kernel send ``sig`` to this process when its parent (say `make`) dies."""
    _prctl(_PR_SET_PDEATHSIG, int(sig))
    if os.getppid() == 1:  # the parent died before the call
        os.kill(os.getpid(), sig)


def reap_children() -> dict[int, int]:
    """Collect every ended child (orphans re-parented here included) without blocking:
    pid -> exit code (negative: the signal that ended it)."""
    ended = {}
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended[pid] = os.waitstatus_to_exitcode(wait_status)
