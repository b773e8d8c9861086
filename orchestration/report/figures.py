"""Which columns of a report table are figures, how each is shown, and a row's cells.

A column is a figure when the gold model declares a disclosure role for it
(orchestration/disclosure/declarations.py), unless a section uses it as a label (an age, a
calendar year). Whether a figure is shown, hidden or missing is the release's flag alone
(disclosure.release_cell); only its format follows the column's name and values: pounds
(``gbp``), percentages (``_pct`` 0-100, ``_share`` 0-1), kilometres to 2 decimals, whole
numbers as such and other fractions to 1 decimal, text (RAG labels) as text."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orchestration.report.data import Table
from orchestration.report.disclosure import (
    FLAG_SUFFIX,
    Cell,
    money_cell,
    number_cell,
    percent_cell,
    release_cell,
    text_cell,
)

SYMBOL_SUFFIX = "_symbol"  # a publisher's own GSS symbol beside a figure published elsewhere
RATE_SUFFIXES = ("_pct", "_share", "_rate", "_percent", "_ratio")

Show = Callable[[object], Cell]


def _text(value: object) -> Cell:
    return Cell(str(value), None, numeric=False)


def _whole(values: list) -> bool:
    return all(isinstance(v, int) or float(v).is_integer() for v in values)


def show_for(table: Table, column: str) -> Show:
    """How a figure column's values are written (its name and values decide, never whether
    it is shown)."""
    values = [r[column] for r in table.rows if r.get(column) is not None]
    if any(isinstance(v, str) for v in values):
        return _text
    if column.endswith("_share"):
        return lambda v: percent_cell(v, scale=100.0)
    if column.endswith("_pct"):
        return percent_cell
    if "gbp" in column:
        return money_cell
    if column.endswith("_km"):
        return lambda v: number_cell(v, 2)
    decimals = 0 if _whole(values) and not column.endswith(RATE_SUFFIXES) else 1
    return lambda v: number_cell(v, decimals)


def figure_columns(table: Table, labels: tuple[str, ...] = ()) -> Mapping[str, Show]:
    """The figure columns of the table (a declared role, not used as a label), in table order,
    each with how it is shown; built once per table and labels."""
    cache = table.__dict__.setdefault("_figures", {})  # frozen: no setattr, same object
    if labels not in cache:
        cache[labels] = {
            column: show_for(table, column)
            for column in table.columns
            if table.role(column) is not None and column not in labels
        }
    return cache[labels]


def is_figure(table: Table, column: str, labels: tuple[str, ...] = ()) -> bool:
    return column in figure_columns(table, labels)


def row_cells(table: Table, row: Mapping, labels: tuple[str, ...] = ()) -> dict[str, Cell]:
    """Every cell of a row: figures through the release's flags, other columns as text."""
    figures = figure_columns(table, labels)
    cells = {}
    for column in table.columns:
        if column.endswith((FLAG_SUFFIX, SYMBOL_SUFFIX)):
            continue
        if column not in figures:
            cells[column] = text_cell(row.get(column))
        elif (row.get(column) is None and row.get(column + FLAG_SUFFIX) is None
              and row.get(column + SYMBOL_SUFFIX)):
            cells[column] = Cell(str(row[column + SYMBOL_SUFFIX]))  # as its publisher printed it
        else:
            cells[column] = release_cell(row, column, figures[column])
    return cells
