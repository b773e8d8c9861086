"""Run one measured step as a child process: wall time and peak memory.

Two memory figures:

* ``peak_rss_mb``: the kernel's own peak RSS of the largest single process in the step's tree
  (``os.wait4`` rusage of the child: the child and every descendant it waited for, e.g. the
  dbt subprocess under Dagster). Exact, the same as ``/usr/bin/time -v``.
* ``peak_tree_rss_mb``: the largest SUM of RSS over the step's processes (its process group),
  sampled from /proc every 0.1 s. What the machine must actually hold; may miss short spikes.

Each step runs in a new session, so a process it leaves behind (say a dbt subprocess orphaned
by a failed Dagster step, still holding the warehouse lock) is found by its process group and
ended before the next step; ``leftover_processes`` lists their command lines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY_S = 0.1


@dataclass(frozen=True)
class Measurement:
    name: str
    wall_s: float
    peak_rss_mb: float
    peak_tree_rss_mb: float
    returncode: int
    log: str
    leftover_processes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_measured(name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Measurement:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        sampler = _GroupSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    leftovers = end_group(process.pid)
    return Measurement(
        name=name,
        wall_s=round(wall, 3),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        peak_tree_rss_mb=round(sampler.peak_kib / 1024, 1),
        returncode=process.returncode,
        log=str(log),
        leftover_processes=leftovers,
    )


class _GroupSampler(threading.Thread):
    def __init__(self, group: int):
        super().__init__(daemon=True)
        self.group = group
        self.peak_kib = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(SAMPLE_EVERY_S):
            self.peak_kib = max(self.peak_kib, sum(group_members(self.group).values()))

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def group_members(group: int) -> dict[int, int]:
    """pid -> RSS in KiB of every live process of process group ``group``."""
    members = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z" or int(fields[2]) != group:  # after "(comm)": state, ppid, pgrp
                continue
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                rss = next((line.split()[1] for line in handle if line.startswith("VmRSS:")), "0")
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        members[int(entry)] = int(rss)
    return members


def end_group(group: int, grace_s: float = 5.0) -> tuple[str, ...]:
    """End what is left of the step's process group a second after the step ended (helpers
    such as multiprocessing's resource tracker exit by themselves); returns their command lines."""
    deadline = time.monotonic() + 1.0
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = tuple(_command_line(pid) for pid in group_members(group))
    if not left:
        return ()
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_members(group):
        os.killpg(group, signal.SIGKILL)
    return left


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return f"pid {pid}"
