"""`make ui`: the Dagster UI on http://127.0.0.1:3000 (SEND_UI_HOST, SEND_UI_PORT) with a
persistent DAGSTER_HOME, started with `dg dev` (Dagster's current command; `dagster dev` is
superseded) and stopped cleanly.

`dg dev` reads the project from pyproject.toml's ``[tool.dg.project]`` (module and code
location name) and starts the webserver and the daemon, each with a code server; the daemon's
runs have their own worker processes, with dbt under them. Signalled alone, `dg dev` dies and
leaves the rest running. So this module is a small supervisor:

* `dg dev` runs in its own session and process group, and this process is the tree's
  subreaper, so every process of the tree stays a descendant of this one even when its parent
  dies; the tree is recorded while it runs;
* Ctrl-C (SIGINT), SIGTERM or SIGHUP (`make` passes SIGTERM on to its recipe) stop the
  tree: SIGINT to `dg dev` alone (Dagster's own stop: the webserver and daemon, then the code
  server; interrupting the code server first made `dg dev` start a new one), SIGINT to
  whatever outlived it (a run's worker, its dbt), then, once ``SEND_UI_STOP_GRACE_S`` seconds
  (default 30) have passed or at a second signal, SIGKILL to whatever is left;
* if `dg dev` ends by itself, what it left behind is stopped the same way; if this process is
  killed outright, the kernel sends `dg dev` SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration import process_tree
from orchestration.instance import ensure_dagster_home, env_seconds
from orchestration.settings import REPO_ROOT

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_ENV, STOP_GRACE_DEFAULT_S = "SEND_UI_STOP_GRACE_S", 30
WATCH_EVERY_S = 0.5
KILL_WAIT_S = 10.0


def ui_command(host: str, port: str) -> list[str]:
    dg = Path(sys.executable).parent / "dg"
    # No defs.yaml components to check: skip that start-up step (it loads every component type).
    return [str(dg), "dev", "--host", host, "--port", port, "--no-check-yaml"]


def ui_environment() -> dict[str, str]:
    """The caller's environment as if the project's venv were activated (`dg` warns when the
    active venv is not the project's; `dbt` must be on PATH)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["VIRTUAL_ENV"] = sys.prefix
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


class Supervisor:
    """Runs ``argv`` as a process tree of its own and ends the whole tree on a stop signal."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str], grace_s: float):
        self.argv, self.cwd, self.env, self.grace_s = argv, cwd, env, grace_s
        self.signals: list[int] = []
        self.seen: set[process_tree.Process] = set()
        self.child: subprocess.Popen | None = None
        self.child_exit: int | None = None

    def run(self) -> int:
        process_tree.become_subreaper()
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        self.child = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, start_new_session=True,
                                      preexec_fn=_stop_when_supervisor_dies)
        while self.child_exit is None and not self.signals:
            self._watch()
            time.sleep(WATCH_EVERY_S)
        self._stop()
        if self.signals:
            return 0  # stopped on request
        return self.child_exit or 1  # `dg dev` should never end by itself

    def _on_signal(self, signum: int, _frame) -> None:
        self.signals.append(signum)

    def _watch(self) -> None:
        self.seen |= process_tree.descendants(os.getpid())
        ended = process_tree.reap_children()
        if self.child.pid in ended:
            self.child_exit = ended[self.child.pid]
            self.child.returncode = self.child_exit  # reaped here, not by Popen

    def _stop(self) -> None:
        self._watch()
        left = self._left()
        if not left:
            return
        reason = signal.Signals(self.signals[0]).name if self.signals else "dg dev ended"
        print(f"stopping the Dagster UI ({reason}): {len(left)} processes", file=sys.stderr, flush=True)
        stop_at = time.monotonic() + self.grace_s
        signals_at_start = len(self.signals)

        def waiting(done) -> bool:
            self._watch()
            if done() or time.monotonic() >= stop_at or len(self.signals) > signals_at_start:
                return False  # done, out of time, or asked again: stop now
            time.sleep(0.2)
            return True

        # `dg dev` first, alone: it stops the webserver, the daemon and then the code server in
        # order (a code server interrupted before them is restarted by `dg dev`).
        if self.child_exit is None:
            os.kill(self.child.pid, signal.SIGINT)
            while waiting(lambda: self.child_exit is not None):
                pass
        # then whatever outlived it (a run's worker, its dbt)
        if left := self._left():
            process_tree.send(left, signal.SIGINT)
            while waiting(lambda: not self._left()):
                pass
        left = self._left()
        if left:
            print(f"{len(left)} processes still running: killed", file=sys.stderr, flush=True)
            self._kill(left)
        print("Dagster UI stopped", file=sys.stderr, flush=True)

    def _left(self) -> set[process_tree.Process]:
        return process_tree.living(self.seen | process_tree.descendants(os.getpid()))

    def _kill(self, left: set[process_tree.Process]) -> None:
        try:
            os.killpg(self.child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process_tree.send(left, signal.SIGKILL)
        stop_at = time.monotonic() + KILL_WAIT_S
        while self._left() and time.monotonic() < stop_at:
            time.sleep(0.1)
            self._watch()


def _stop_when_supervisor_dies() -> None:
    """In the child before it runs `dg dev`: should the supervisor be killed outright, the
    kernel sends `dg dev` SIGINT, its own clean stop."""
    process_tree.die_with_parent(signal.SIGINT)


def main() -> int:
    ensure_dagster_home()
    host = os.environ.get("SEND_UI_HOST", "127.0.0.1")
    port = os.environ.get("SEND_UI_PORT", "3000")
    supervisor = Supervisor(ui_command(host, port), cwd=REPO_ROOT, env=ui_environment(),
                            grace_s=env_seconds(STOP_GRACE_ENV, STOP_GRACE_DEFAULT_S))
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
