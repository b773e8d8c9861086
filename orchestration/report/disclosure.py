"""Statistical disclosure control for everything the report publishes (README, "Personal data").

Rules, with the GSS symbols:

* a count of people from 1 to 4 is shown as ``c`` (confidential); 0 is shown;
* a rate, share, mean or difference built on a suppressed count is shown as ``c`` too;
* ``z`` = not applicable (e.g. a rate over a denominator of 0), ``x`` = not available (no data);
* secondary suppression: where a visible total minus the visible cells would give back a single
  suppressed cell, the next smallest non-zero cell is suppressed as well.

The report never formats a figure itself: it asks for a :class:`Cell`, whose ``value`` (what a
chart may draw) is None whenever the figure is not shown, so a chart cannot reveal a
suppressed value either.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

CONFIDENTIAL = "c"
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"
SYMBOLS = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE)

SMALLEST_SHOWN = 5  # counts 1 .. SMALLEST_SHOWN - 1 are suppressed

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Cell:
    """One published figure: ``text`` is what the reader sees, ``value`` the number behind it
    (None when the text is a symbol, so nothing downstream can draw or sum it)."""

    text: str
    value: float | None = None
    numeric: bool = True  # right-aligned in tables

    @property
    def is_symbol(self) -> bool:
        return self.text in SYMBOLS

    @property
    def is_suppressed(self) -> bool:
        return self.text == CONFIDENTIAL

    def __str__(self) -> str:
        return self.text


def text_cell(text: object) -> Cell:
    """A label (name, code, year): shown as given, blank when missing."""
    return Cell("" if text is None else str(text), None, numeric=False)


SUPPRESSED = Cell(CONFIDENTIAL)
NOT_APPLICABLE_CELL = Cell(NOT_APPLICABLE)
NOT_AVAILABLE_CELL = Cell(NOT_AVAILABLE)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def is_small(count: float | None) -> bool:
    """True for a count that must not be published (1-4)."""
    return not _is_missing(count) and 0 < count < SMALLEST_SHOWN


def format_number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def count_cell(count: float | None) -> Cell:
    """A count of people: ``c`` for 1-4, ``x`` when missing, else the number."""
    if _is_missing(count):
        return NOT_AVAILABLE_CELL
    if is_small(count):
        return SUPPRESSED
    return Cell(format_number(count), float(count))


def suppress_count(count: float | None) -> str:
    """``0 -> '0'``, ``1..4 -> 'c'``, ``None -> 'x'``, ``1234 -> '1,234'``."""
    return count_cell(count).text


def rate_cell(
    numerator: float | None,
    denominator: float | None,
    *,
    decimals: int = 1,
    scale: float = 100.0,
    suffix: str = "%",
) -> Cell:
    """numerator / denominator x scale. ``z`` when the denominator is 0, ``x`` when either is
    missing, ``c`` when either is a count of 1-4."""
    if _is_missing(numerator) or _is_missing(denominator):
        return NOT_AVAILABLE_CELL
    if denominator == 0:
        return NOT_APPLICABLE_CELL
    if is_small(numerator) or is_small(denominator):
        return SUPPRESSED
    value = scale * numerator / denominator
    return Cell(format_number(value, decimals) + suffix, round(value, decimals))


def suppress_rate(numerator: float | None, denominator: float | None, *, decimals: int = 1) -> str:
    """A percentage: ``(3, 10) -> 'c'``, ``(7, 10) -> '70.0%'``, ``(0, 0) -> 'z'``."""
    return rate_cell(numerator, denominator, decimals=decimals).text


def derived_cell(
    value: float | None,
    base_counts: Iterable[float | None | Cell],
    *,
    decimals: int = 1,
    prefix: str = "",
    suffix: str = "",
) -> Cell:
    """A figure computed elsewhere (a stored rate, mean, distance, cost per pupil) over the given
    base counts: ``c`` if any base count is suppressed, ``z`` if the base is 0 people, ``x`` if
    the figure is missing."""
    bases = list(base_counts)
    if any(b.is_suppressed if isinstance(b, Cell) else is_small(b) for b in bases):
        return SUPPRESSED
    if _is_missing(value):
        zero_base = bases and all(
            (b.value == 0) if isinstance(b, Cell) else (b == 0) for b in bases
        )
        return NOT_APPLICABLE_CELL if zero_base else NOT_AVAILABLE_CELL
    return Cell(prefix + format_number(value, decimals) + suffix, round(float(value), decimals))


def number_cell(value: float | None, decimals: int = 0) -> Cell:
    """A number that is not a count of people (places commissioned, SRPs): never suppressed."""
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    return Cell(format_number(value, decimals), float(value))


def money_cell(value: float | None, *, decimals: int = 0) -> Cell:
    """Pounds. Money is not a count of people, so it is not suppressed on its own (amounts per
    pupil go through :func:`derived_cell`)."""
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    sign = "-" if value < 0 else ""
    return Cell(f"{sign}£{format_number(abs(value), decimals)}", float(value))


# ---------------------------------------------------------------------------------------------
# Secondary suppression
# ---------------------------------------------------------------------------------------------
def cells_to_suppress(
    values: Mapping[K, float | None],
    total: float | None = None,
    already: Iterable[K] = (),
) -> set[K]:
    """The cells of one row (or column) to hide, given a visible ``total`` of them.

    Primary: every count of 1-4 (and any key in ``already``). Secondary: when the total is shown
    and exactly one cell is hidden, the total minus the visible cells would reveal it, so the
    next smallest non-zero cell is hidden too (first in order on ties), or a zero cell when no
    non-zero cell is left. With no other cell at all, the caller must hide the total
    (:func:`suppress_linked` does)."""
    hidden = {k for k, v in values.items() if is_small(v)} | set(already)
    total_shown = not _is_missing(total) and not is_small(total)
    if total_shown and len(hidden) == 1:
        visible = [
            (v, i, k)
            for i, (k, v) in enumerate(values.items())
            if k not in hidden and not _is_missing(v)
        ]
        # a zero only when no other cell is left: hiding it still leaves two unknowns
        candidates = [c for c in visible if c[0] > 0] or visible
        if candidates:
            hidden.add(min(candidates)[2])
    return hidden


Row = Mapping[str, object]


def suppress_linked(
    values: Mapping[K, float | None],
    groups: Iterable[tuple[Sequence[K], K | None]],
    already: Iterable[K] = (),
) -> set[K]:
    """Primary and secondary suppression of figures that add up in several ways.

    ``values`` holds every count by any key (e.g. ``(row, column)``); each group is
    ``(parts, total)``: the parts add up to the total (``None`` when no total is shown). Runs
    :func:`cells_to_suppress` over every group until nothing changes, because hiding a cell for
    one group can leave another group with a single hidden cell, and a total hidden for one
    group must not be the plain sum of parts shown in another. ``already``: cells hidden
    elsewhere (the same figure in another published table). Returns the hidden keys."""
    groups = list(groups)
    hidden = {k for k, v in values.items() if is_small(v)} | (set(already) & set(values))
    changed = True
    while changed:
        changed = False
        for parts, total in groups:
            total_value = None if total is None or total in hidden else values.get(total)
            part_values = {p: values.get(p) for p in parts}
            found = cells_to_suppress(part_values, total_value, [p for p in parts if p in hidden])
            if (
                len(found) == 1
                and total is not None
                and total_value is not None
                and not is_small(total_value)
            ):
                found.add(total)  # a lone hidden part equals the total minus the rest
            if total in hidden and parts and not found:
                # a hidden total is the sum of its parts when they are all shown
                found = cells_to_suppress(part_values, 0, [_smallest(part_values)])
            if found - hidden:
                hidden |= found
                changed = True
    return hidden


def _smallest(values: Mapping[K, float | None]) -> K:
    """The key of the smallest figure, non-zero first (the cell that costs least to hide)."""
    ranked = [(v is None, v == 0, v or 0, i, k) for i, (k, v) in enumerate(values.items())]
    return min(ranked)[-1]


def format_row(
    row: Row,
    hidden: Iterable[str] = (),
    *,
    count_cols: Sequence[str] = (),
    rate_cols: Mapping[str, str | Sequence[str]] | None = None,
    money_cols: Sequence[str] = (),
    plain_cols: Sequence[str] = (),
    decimals: Mapping[str, int] | None = None,
    units: Mapping[str, str] | None = None,
) -> dict[str, Cell]:
    """Publishable cells of one row, given the count columns already chosen for hiding.

    ``count_cols`` are counts of people, ``rate_cols`` figures built on them
    (``{column: base count column(s)}``), ``money_cols`` pounds, ``plain_cols`` numbers that are
    not about people (commissioned places, number of SRPs); anything else is text."""
    hidden = set(hidden)
    rate_cols = _bases(rate_cols)
    decimals = decimals or {}
    units = units or {}
    cells: dict[str, Cell] = {}
    for col, raw in row.items():
        value = _number(raw)
        if col in count_cols:
            cells[col] = SUPPRESSED if col in hidden else count_cell(value)
        elif col in rate_cols:
            bases = [SUPPRESSED if b in hidden else _number(row.get(b)) for b in rate_cols[col]]
            cells[col] = derived_cell(
                value, bases, decimals=decimals.get(col, 1), suffix=units.get(col, "")
            )
        elif col in money_cols:
            cells[col] = money_cell(value)
        elif col in plain_cols:
            cells[col] = number_cell(value, decimals.get(col, 0))
        else:
            cells[col] = text_cell(raw)
    return cells


def apply_to_rows(
    rows: Sequence[Row],
    count_cols: Sequence[str],
    rate_cols: Mapping[str, str | Sequence[str]] | None = None,
    *,
    total_row: Row | None = None,
    row_totals: Mapping[str, Sequence[str]] | None = None,
    **formats,
) -> list[dict[str, Cell]]:
    """Publishable cells for a table.

    * ``count_cols``: counts of people (suppressed 1-4);
    * ``rate_cols``: ``{column: base count column(s)}``: a stored rate, share, mean or derived
      figure, shown as ``c`` when any of its bases is hidden (after secondary suppression);
    * ``total_row``: the row whose counts are the column totals of ``rows`` (e.g. the county row
      under a table of districts): each count column gets secondary suppression against it;
    * ``row_totals``: ``{total column: part columns}`` inside each row (e.g. Year 6 pupils and
      their destinations): each row gets secondary suppression across its parts;
    * ``formats``: ``money_cols``, ``plain_cols``, ``decimals``, ``units`` as for
      :func:`format_row`; every other column is shown as text.

    Returns one dict per row of ``rows`` (not the total row: format that with a second call)."""
    values: dict[tuple, float | None] = {}
    for i, row in enumerate(rows):
        for col in row:
            values[(i, col)] = _number(row.get(col))
    groups: list[tuple[list, tuple | None]] = []
    if total_row is not None:
        for col in count_cols:
            values[("total", col)] = _number(total_row.get(col))
            groups.append(([(i, col) for i in range(len(rows))], ("total", col)))
    for i, row in enumerate(rows):
        for total_col, parts in (row_totals or {}).items():
            groups.append(([(i, p) for p in parts if p in row], (i, total_col)))
    counted = {(i, c) for i in range(len(rows)) for c in count_cols} | {
        k for parts, total in groups for k in [*parts, total]
    }
    hidden = suppress_linked({k: v for k, v in values.items() if k in counted}, groups)
    return [
        format_row(
            row,
            {c for (i2, c) in hidden if i2 == i},
            count_cols=count_cols,
            rate_cols=rate_cols,
            **formats,
        )
        for i, row in enumerate(rows)
    ]


def _bases(rate_cols: Mapping[str, str | Sequence[str]] | None) -> dict[str, list[str]]:
    return {k: ([v] if isinstance(v, str) else list(v)) for k, v in (rate_cols or {}).items()}


def _number(value: object) -> float | None:
    if _is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)  # Decimal, numeric strings
    except (TypeError, ValueError):
        return None
