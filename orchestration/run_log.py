"""`make run`'s two outputs of a Dagster run (issue 15 item 6): every event, dbt's per-node
lines included, in a log file under ``data/logs/``; and one console line per stage
(orchestration/run_console.py), fed by the same events as the instance stores them.

The console logger itself is turned down to CRITICAL for these runs (:data:`CONSOLE_QUIET`):
the instance still stores every event (the UI shows them) and the listener writes them all.
What is written straight to stdout or stderr meanwhile (dagster-dbt re-emits each dbt line
there) goes to the same log (:func:`output_to`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import dagster as dg

from orchestration.run_console import Stage, StageConsole, stage_label
from orchestration.unchanged_build import STATUS, UNCHANGED

CONSOLE_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
LOG_FOLDER = "logs"


def log_path(data_root: Path, run_id: str) -> Path:
    """``data/logs/run-<id>.log`` (owner-only, like everything else under the data root)."""
    folder = Path(data_root) / LOG_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"run-{run_id}.log"


def stages_of(job_def: dg.JobDefinition) -> tuple[list[Stage], dict]:
    """The job's stages (see run_console.stage_label) and the step that owns each asset and
    check key (an evaluation re-stated by another step counts for the step of its check)."""
    stages: dict[str, Stage] = {}
    step_of_key: dict = {}
    for data in job_def.asset_layer.data:
        assets, checks = list(data.assets_def.keys), list(data.assets_def.check_keys)
        layers = {k.path[0] for k in assets} or {k.asset_key.path[0] for k in checks}
        label = stage_label(layers, checks_only=not assets)
        stage = stages.setdefault(label, Stage(label, set(), 0))
        step = str(data.node_handle)
        stage.steps.add(step)
        stage.expected += len(assets) + len(checks)
        step_of_key.update({key: step for key in [*assets, *checks]})
    return list(stages.values()), step_of_key


class RunListener:
    """Called by the instance with each event of one run: writes it to the log and moves the
    stage lines on."""

    def __init__(self, log: TextIO, job_def: dg.JobDefinition, out=None):
        stages, self.step_of_key = stages_of(job_def)
        self.console = StageConsole(stages, out=out)
        self.log = log
        self.job_name = job_def.name

    def __call__(self, entry) -> None:
        try:
            self.log.write(format_entry(self.job_name, entry))
            self._show(entry)
        except Exception as exc:  # never let the console break the run: it is only a view
            self.log.write(f"(console listener: {type(exc).__name__}: {exc})\n")

    def _show(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind, step, at = event.event_type, entry.step_key, entry.timestamp
        if kind == dg.DagsterEventType.STEP_START:
            self.console.step_started(step, at)
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            self.console.step_ended(step, at, "success")
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.console.step_ended(step, at, "skipped")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            self.console.step_ended(step, at, "failure", first_line(error.message if error else None))
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            self.console.materialized(self.step_of_key.get(event.asset_key, step))
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.asset_check_evaluation_data
            key = dg.AssetCheckKey(data.asset_key, data.check_name)
            self.console.check_evaluated(self.step_of_key.get(key, step), data.passed)
        elif kind == dg.DagsterEventType.ASSET_OBSERVATION:
            observation = event.asset_observation_data.asset_observation
            status = observation.metadata.get(STATUS)
            if status is not None and status.value == UNCHANGED:
                self.console.observed_unchanged(self.step_of_key.get(observation.asset_key, step))

    def finish(self) -> None:
        self.console.finish()
        self.log.flush()


def format_entry(job_name: str, entry) -> str:
    """One event as a log line (with the whole error and stack of a failure below it)."""
    when = dt.datetime.fromtimestamp(entry.timestamp, dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    event = entry.dagster_event
    kind = event.event_type_value if event is not None else "LOG"
    line = (f"{when} {logging.getLevelName(entry.level):<7} {job_name} {entry.step_key or '-'}"
            f" {kind}: {entry.user_message}\n")
    if event is not None and event.event_type == dg.DagsterEventType.STEP_FAILURE:
        error = event.step_failure_data.error
        line += (error.to_string() + "\n") if error is not None else ""
    return line


def first_line(text: str | None) -> str | None:
    """The first line of an error, without the exception's dotted class name."""
    if not text or not text.strip():
        return None
    line = text.strip().splitlines()[0]
    name, _, rest = line.partition(": ")
    return rest if rest and "." in name and " " not in name else line


@contextlib.contextmanager
def output_to(log: TextIO) -> Iterator[TextIO]:
    """Sends everything this process and its children write to stdout and stderr to ``log``
    (dagster-dbt re-emits every dbt line on stdout; libraries warn on stderr; the outbox's
    worker processes inherit both), and yields a stream to the real console for the stage
    lines. Swapped at the file-descriptor level, so nothing bypasses it."""
    for stream in (sys.stdout, sys.stderr, log):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    console = os.fdopen(os.dup(saved[0]), "w", buffering=1, encoding="utf-8")
    try:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        yield console
    finally:
        for stream in (sys.stdout, sys.stderr, log):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        console.close()


def open_log(path: Path) -> TextIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)
