"""`make ui` as a person runs it (issue 15 items 7 and 8): it starts without warnings, and
SIGTERM to `make` (started in the background by a script, so SIGINT is ignored) or Ctrl-C
(SIGINT to the terminal's process group) ends every process it started, leaving the port free.

Each case runs the real `make ui` in a session of its own (so `make` leads the process group a
terminal would signal) on a free loopback port with a temporary DAGSTER_HOME, waits until the
webserver serves the loaded code location over GraphQL, recording every descendant of `make`
from /proc meanwhile (pid and start time), then signals it. Recorded processes still alive
after the deadline are listed and killed. A synthetic tree checks the supervisor's escalation
(a process that ignores SIGINT, one that left the process group, an orphan) in a few seconds.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration import process_tree
from tests.conftest import REPO_ROOT, platform_env
from tests.test_ui_graphql import STARTUP_TIMEOUT_S, free_port, graphql

STOP_GRACE_S = 20  # SEND_UI_STOP_GRACE_S for these starts
STOPPED_WITHIN_S = STOP_GRACE_S + 30  # grace, then SIGKILL and reaping, on a loaded machine
RECORD_EVERY_S = 0.25
# What `make ui` printed before: a code-location name mismatch per load, the `dagster dev`
# supersession warning, and `dg`'s warning that the project's venv is not the active one.
WARNING = re.compile(r"warning", re.IGNORECASE)


class StartedUI:
    def __init__(self, root: Path, landing: Path, *, background: bool = False):
        self.port = free_port()
        self.log_path = root / "make_ui.log"
        env = {**os.environ, **platform_env(root, landing), "SEND_UI_PORT": str(self.port),
               "SEND_UI_STOP_GRACE_S": str(STOP_GRACE_S)}
        for name in ("SEND_PSEUDONYM_KEY", "VIRTUAL_ENV", "DAGSTER_IS_DEV_CLI"):
            env.pop(name, None)
        self._log = self.log_path.open("w")
        self.make = subprocess.Popen(["make", "--no-print-directory", "ui"], cwd=REPO_ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=_ignore_sigint if background else None)
        self.recorded: dict[process_tree.Process, str] = {}

    def record(self) -> None:
        for process in process_tree.descendants(self.make.pid):
            if process not in self.recorded:
                self.recorded[process] = process_tree.command_line(process.pid)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.make.poll() is None, f"make ui exited during start-up: {self.output()}"
            self.record()
            if self._location_loaded():
                self.record()
                return
            time.sleep(RECORD_EVERY_S)
        raise AssertionError(f"make ui did not serve the code location in time: {self.output()}")

    def _location_loaded(self) -> bool:
        try:
            data = graphql(self.port, "{ workspaceOrError { ... on Workspace { locationEntries {"
                                      " name loadStatus } } } }")
        except OSError:
            return False
        entries = data["workspaceOrError"]["locationEntries"]
        return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)

    def left_after(self, seconds: float) -> dict[process_tree.Process, str]:
        """The recorded processes still alive when all have ended or ``seconds`` passed."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            left = {p: c for p, c in self.recorded.items() if process_tree.is_alive(p)}
            if not left:
                return {}
            time.sleep(0.2)
        return {p: c for p, c in self.recorded.items() if process_tree.is_alive(p)}

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        """Whatever a failed test left: SIGKILL to the recorded processes and make's group."""
        process_tree.send(set(self.recorded), signal.SIGKILL)
        try:
            os.killpg(self.make.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.make.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


def _ignore_sigint() -> None:
    """What a non-interactive shell does to a job it starts with `&` (`make ui &` in a script
    or a service wrapper): SIGINT is ignored, and every process started under it inherits that.
    `dagster dev` then also ignored SIGTERM (it maps SIGTERM to its SIGINT handler)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def start_make_ui(small_landing, tmp_path):
    started: list[StartedUI] = []

    def start(background: bool = False) -> StartedUI:
        ui = StartedUI(tmp_path, small_landing, background=background)
        started.append(ui)
        ui.wait_until_serving()
        return ui

    yield start
    for ui in started:
        ui.close()


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def assert_everything_stopped(ui: StartedUI) -> None:
    left = ui.left_after(STOPPED_WITHIN_S)
    assert not left, "still running after the stop: " + "; ".join(
        f"pid {p.pid}: {c[:160]}" for p, c in left.items())
    ui.make.wait(timeout=10)
    assert port_is_free(ui.port), f"port {ui.port} still has a listener"


def test_make_ui_starts_without_warnings_and_sigterm_stops_every_process(start_make_ui):
    make_ui = start_make_ui(background=True)  # as a script or service wrapper starts it
    os.kill(make_ui.make.pid, signal.SIGTERM)
    assert_everything_stopped(make_ui)

    warnings = [line for line in make_ui.output().splitlines() if WARNING.search(line)]
    assert not warnings, "\n".join(warnings[:10])
    commands = list(make_ui.recorded.values())
    assert any(" dev " in f"{c} " and "/dg " in f"{c} " for c in commands), commands  # `dg dev`
    assert any("dagster_webserver" in c for c in commands), commands
    assert any("dagster._daemon" in c for c in commands), commands
    # the code location loads without `dbt parse` (the manifest is built by make install)
    assert not [c for c in commands if re.search(r"/dbt (parse|deps)\b", c)], commands


def test_ctrl_c_on_make_ui_stops_every_process(start_make_ui):
    make_ui = start_make_ui()
    recorded = len(make_ui.recorded)
    assert recorded >= 5, make_ui.recorded  # make, supervisor, dg dev, webserver, daemon, ...
    os.killpg(make_ui.make.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    assert_everything_stopped(make_ui)


# ------------------------------------------------------------ the supervisor on a synthetic tree

TREE = """
import subprocess, sys, time
py = sys.executable
sleep = "import time; time.sleep(600)"
# ignores Ctrl-C: only SIGKILL ends it
subprocess.Popen([py, "-c", "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"])
# left the process group (a session of its own)
subprocess.Popen([py, "-c", sleep], start_new_session=True)
# an orphan: its parent ends at once (as a code server's `dbt parse` did)
subprocess.Popen([py, "-c", f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {sleep!r}])"]).wait()
time.sleep(600)
"""

SUPERVISED = """
import sys
from pathlib import Path
from orchestration.ui import Supervisor
sys.exit(Supervisor([sys.executable, "-c", sys.argv[1]], cwd=Path.cwd(), env=None, grace_s=2).run())
"""


def test_the_supervisor_ends_processes_that_ignore_sigint_left_the_group_or_were_orphaned():
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISED, TREE], cwd=REPO_ROOT,
                                  stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        tree: set[process_tree.Process] = set()
        # top, ignorer, other session, orphan; settled once the orphan's parent has ended and
        # the orphan hangs from the supervisor (a subreaper) beside the top process
        while not (len(tree) == 4 and _children_of(supervisor.pid, tree) == 2) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
            tree = process_tree.descendants(supervisor.pid)
        assert len(tree) == 4, [process_tree.command_line(p.pid) for p in tree]
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
        assert not process_tree.living(tree)
        assert "1 processes still running: killed" in supervisor.stderr.read()
    finally:
        process_tree.send(process_tree.descendants(supervisor.pid), signal.SIGKILL)
        supervisor.kill()
        supervisor.wait()


def _children_of(parent: int, tree: set[process_tree.Process]) -> int:
    statuses = (process_tree.status(p.pid) for p in tree)
    return sum(1 for s in statuses if s is not None and s.parent == parent)


def test_the_supervisor_stops_what_its_command_left_when_it_ends_by_itself():
    tree = "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])"
    supervisor = subprocess.run([sys.executable, "-c", SUPERVISED, tree], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=30)
    assert supervisor.returncode == 1  # `dg dev` never ends by itself: an error
    assert "stopping the Dagster UI (dg dev ended): 1 processes" in supervisor.stderr


def test_a_run_launched_from_the_ui_is_taken_from_the_queue_within_a_second(tmp_path):
    import dagster as dg

    from orchestration.instance import upgrade_dagster_yaml

    upgrade_dagster_yaml(tmp_path / "dagster.yaml")  # what `make ui` writes in a new home
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator.dequeue_interval_seconds == 1  # Dagster's default: 5
