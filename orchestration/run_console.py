"""What `make run` prints at the end about the files it processed: one line on a clean night,
otherwise a per-file outcome table, the top problems and where to see them all.

Read from ``bronze.file_registry`` and ``bronze.load_errors`` for the rows written since the
run began (``processed_at`` / ``detected_at``, naive UTC). Problems are shown as file, sheet,
row, column and rule: never the value (``load_errors.value`` may be a UPN, a name or a date of
birth) and never the message (it may quote non-personal values, but the console is for
counts; the full text is one query away).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field

import duckdb

TOP_PROBLEMS = 10
MAX_FILE_ROWS = 40
FILE_WIDTH = 60
LOADED = "loaded"


@dataclass(frozen=True)
class FileOutcomeLine:
    source: str
    file: str
    status: str
    rows_loaded: int
    rows_rejected: int
    errors: int
    warnings: int


@dataclass(frozen=True)
class ProblemLine:
    file: str
    sheet: str | None
    first_row: int | None
    rows: int
    column: str | None
    rule: str
    severity: str


def processed_files(con: duckdb.DuckDBPyConnection, since: dt.datetime) -> list[FileOutcomeLine]:
    """Every file version registered since ``since``, problems first, with its error and
    warning counts."""
    rows = con.execute(
        """
        SELECT r.source, r.source_file, r.status, coalesce(r.rows_loaded, 0),
               coalesce(r.rows_rejected, 0),
               count(e.rule) FILTER (WHERE e.severity = 'error'),
               count(e.rule) FILTER (WHERE e.severity = 'warning')
        FROM bronze.file_registry r
        LEFT JOIN bronze.load_errors e
          ON e.source_file = r.source_file AND e.sha256 IS NOT DISTINCT FROM r.sha256
         AND e.detected_at >= ?
        WHERE r.processed_at >= ?
        GROUP BY r.source, r.source_file, r.sha256, r.status, r.rows_loaded, r.rows_rejected
        ORDER BY r.status = 'loaded', count(e.rule) = 0, r.source, r.source_file
        """,
        [since, since],
    ).fetchall()
    return [FileOutcomeLine(*row) for row in rows]


def top_problems(
    con: duckdb.DuckDBPyConnection, since: dt.datetime, limit: int = TOP_PROBLEMS
) -> tuple[list[ProblemLine], int]:
    """The problems found since ``since``, one line per file, sheet, column, rule and severity
    (errors first, then the most frequent), and how many such lines there are in all."""
    grouped = """
        SELECT source_file, sheet, min(row_number) AS first_row, count(*) AS n,
               column_name, rule, severity
        FROM bronze.load_errors WHERE detected_at >= ? GROUP BY ALL
    """
    total = con.execute(f"SELECT count(*) FROM ({grouped})", [since]).fetchall()[0][0]
    rows = con.execute(
        f"SELECT * FROM ({grouped}) ORDER BY severity <> 'error', n DESC, source_file, first_row NULLS FIRST,"
        " column_name, rule LIMIT ?",
        [since, limit],
    ).fetchall()
    return [ProblemLine(f, sheet, first, n, column, rule, sev)
            for f, sheet, first, n, column, rule, sev in rows], total


def needs_attention(f: FileOutcomeLine) -> bool:
    return f.status != LOADED or bool(f.errors or f.warnings)


def render_file_summary(
    files: list[FileOutcomeLine],
    problems: list[ProblemLine],
    total_problems: int,
    see_all: list[str],
) -> list[str]:
    """The console lines: one on a clean night; otherwise a row per file that needs attention
    (not loaded, or loaded with errors or warnings), one line for the files loaded cleanly,
    the top problems and where to see them all."""
    attention = [f for f in files if needs_attention(f)]
    clean = [f for f in files if not needs_attention(f)]
    if not attention and not total_problems:
        if not files:
            return ["files: nothing new landed, no problems"]
        return [f"files: {_plural(len(files), 'file')} loaded, no problems"]
    lines = [f"files processed this run: {len(files)} ({len(attention)} need attention)",
             _file_row("file", "status", "loaded", "rejected", "errors", "warnings")]
    for f in attention[:MAX_FILE_ROWS]:
        lines.append(_file_row(shorten(f.file, FILE_WIDTH), f.status, f.rows_loaded,
                               f.rows_rejected, f.errors, f.warnings))
    if len(attention) > MAX_FILE_ROWS:
        lines.append(f"  ... and {len(attention) - MAX_FILE_ROWS} more files that need attention")
    if clean:
        label = f"({_plural(len(clean), 'other file')}, no problems)"
        lines.append(_file_row(label, LOADED, sum(f.rows_loaded for f in clean), 0, 0, 0))
    if problems:
        lines.append(f"top problems ({len(problems)} of {total_problems}; values are never shown):")
        lines += [f"  {describe_problem(p)}" for p in problems]
    lines.append("see them all:")
    lines += [f"  {line}" for line in see_all]
    return lines


def _file_row(label: str, status: str, loaded, rejected, errors, warnings) -> str:
    return (f"  {label:<{FILE_WIDTH}} {status:<11} {loaded:>8} {rejected:>8}"
            f" {errors:>7} {warnings:>8}")


def describe_problem(p: ProblemLine) -> str:
    where = [shorten(p.file, FILE_WIDTH)]
    if p.sheet:
        where.append(f"sheet {p.sheet}")
    if p.first_row is not None:
        more = f" (+{p.rows - 1} more)" if p.rows > 1 else ""
        where.append(f"row {p.first_row}{more}")
    elif p.rows > 1:
        where.append(f"{p.rows} times")
    if p.column:
        where.append(f"column {p.column}")
    return f"{p.severity:<7} {', '.join(where)}: {p.rule}"


def all_problems_sql(since: dt.datetime) -> str:
    return (
        "select source_file, sheet, row_number, column_name, rule, severity, message "
        f"from bronze.load_errors where detected_at >= '{since.isoformat(sep=' ')}' "
        "order by source_file, sheet, row_number"
    )


def shorten(text: str, width: int) -> str:
    """Keep the start and the end (the file name) of a long path."""
    if len(text) <= width:
        return text
    keep = width - 3
    return text[: keep // 4] + "..." + text[-(keep - keep // 4):]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- one line per stage (issue 15 item 6) ----------------------------------------------------
#
# `make run` prints one line per stage of each job (ingest, bronze checks, dbt build, quality
# checks, release, report, publish, ...) with what it produced and how long it took; every event
# of the runs (dbt's per-node lines included) goes to the run's log file instead. On a terminal
# the line of the running stage is redrawn with a progress bar.

LABEL_WIDTH = 19
BAR_WIDTH = 24
STAGE_ORDER = ("ingest", "bronze checks", "dbt build", "quality checks", "disclosure release",
               "report", "publish", "check history", "school outbox")
_STAGE_OF_LAYER = {
    "bronze": ("ingest", "bronze checks"),
    "silver": ("dbt build", "quality checks"),
    "gold": ("dbt build", "quality checks"),
    "reference": ("dbt build", "quality checks"),
    "disclosure": ("disclosure release", "disclosure release"),
    "report": ("report", "report"),
    "publish": ("publish", "publish"),
    "quality": ("check history", "check history"),
    "outbox": ("school outbox", "school outbox"),
}


def stage_label(layers: set[str], checks_only: bool) -> str:
    """The stage a step belongs to, from the layers (first part of the asset keys) it builds or
    checks: an ingestion step and the checks on bronze are two stages, as are dbt and the
    suites that check its tables afterwards."""
    for layer in ("bronze", "silver", "gold", "reference", "disclosure", "report", "publish",
                  "quality", "outbox"):
        if layer in layers:
            return _STAGE_OF_LAYER[layer][1 if checks_only else 0]
    return "/".join(sorted(layers)) or "other"


@dataclass
class Stage:
    label: str
    steps: set[str]
    expected: int  # assets and checks its steps may produce
    started: float | None = None
    ended: float | None = None
    finished: set[str] = field(default_factory=set)
    skipped: int = 0
    built: int = 0
    unchanged: int = 0
    passed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    printed: bool = False

    @property
    def done(self) -> bool:
        return self.finished >= self.steps

    def seconds(self) -> float | None:
        return None if self.started is None or self.ended is None else self.ended - self.started


def order_stages(stages: list[Stage]) -> list[Stage]:
    rank = {label: i for i, label in enumerate(STAGE_ORDER)}
    return sorted(stages, key=lambda s: (rank.get(s.label, len(rank)), s.label))


class StageConsole:
    """Turns a run's step and asset events into one line per stage (see above)."""

    def __init__(self, stages: list[Stage], out=None, live: bool | None = None):
        self.out = out or sys.stdout
        self.live = self.out.isatty() if live is None else live
        self.stages = order_stages(stages)
        self._by_step = {step: stage for stage in self.stages for step in stage.steps}
        self.inputs_unchanged = False

    def step_started(self, step: str, at: float) -> None:
        stage = self._stage(step)
        if stage is not None and stage.started is None:
            stage.started = at
        self._progress(stage)

    def step_ended(self, step: str, at: float, outcome: str, error: str | None = None) -> None:
        """``outcome``: success, skipped or failure (with the error's first line)."""
        stage = self._stage(step)
        if stage is None:
            return
        stage.finished.add(step)
        if outcome == "skipped":
            stage.skipped += 1
        else:
            stage.ended = at
        if outcome == "failure":
            stage.errors.append(f"{step}: {error or 'failed'}")
        if stage.done:
            self._print(stage)

    def materialized(self, step: str) -> None:
        self._count(step, "built")

    def observed_unchanged(self, step: str) -> None:
        self.inputs_unchanged = True
        self._count(step, "unchanged")

    def check_evaluated(self, step: str, passed: bool) -> None:
        self._count(step, "passed" if passed else "failed")

    def finish(self) -> None:
        """At the end of the run: a line for every stage not printed yet (a failed run stops
        before some steps are even skipped)."""
        for stage in self.stages:
            if not stage.printed:
                self._print(stage)

    def _stage(self, step: str) -> Stage | None:
        return self._by_step.get(step)

    def _count(self, step: str, attribute: str) -> None:
        stage = self._stage(step)
        if stage is not None:
            setattr(stage, attribute, getattr(stage, attribute) + 1)
            self._progress(stage)

    def _progress(self, stage: Stage | None) -> None:
        if not self.live or stage is None or stage.printed:
            return
        done = stage.built + stage.unchanged + stage.passed + stage.failed
        total = max(stage.expected, done, 1)
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.out.write(f"\r{stage.label:<{LABEL_WIDTH}} [{bar}] {done}/{total}\033[K")
        self.out.flush()

    def _print(self, stage: Stage) -> None:
        stage.printed = True
        seconds = stage.seconds()
        timing = f"{seconds:7.1f} s" if seconds is not None else "      - "
        clear = "\r\033[K" if self.live else ""
        self.out.write(f"{clear}{stage.label:<{LABEL_WIDTH}} {self.describe(stage):<62}{timing}\n")
        for error in stage.errors[:3]:
            error = error if len(error) <= 110 else error[:107] + "..."
            self.out.write(f"{'':<{LABEL_WIDTH}}   failed: {error}\n")
        self.out.flush()

    def describe(self, stage: Stage) -> str:
        if not stage.finished:
            return "not run (the run stopped before it)"
        every_step_skipped = stage.skipped == len(stage.steps)
        checks = stage.passed + stage.failed
        if every_step_skipped and not (stage.built or stage.unchanged or checks):
            return ("skipped: its inputs are unchanged, last outputs kept" if self.inputs_unchanged
                    else "skipped: an upstream step failed or a blocking check did not pass")
        parts = []
        if stage.built:
            parts.append(_plural(stage.built, "asset") + " built")
        if stage.unchanged:
            parts.append(_plural(stage.unchanged, "asset") + " unchanged")
        if checks:
            parts.append(f"{stage.passed}/{checks} checks passed")
        if every_step_skipped:
            parts.append("as before (inputs unchanged)")
        elif stage.skipped:
            parts.append(f"{stage.skipped} step{'s' if stage.skipped > 1 else ''} skipped")
        if stage.errors:
            parts.append(f"{len(stage.errors)} FAILED")
        return ", ".join(parts) or "done"
