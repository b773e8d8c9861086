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
from dataclasses import dataclass

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
