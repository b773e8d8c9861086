"""How the report shows figures: the GSS symbols, number formats, and the two rules that keep
it from deciding for itself what to hide.

* A figure of the release (``external.*``, the audited release the disclosure engine writes;
  docs/DISCLOSURE.md) is hidden exactly when the release flags it: ``<column>_flag`` 'c'
  (confidential) is shown as ``c``, 'x' (not available) as ``x``, 'z' (not applicable) as
  ``z`` (:func:`release_cell`). The internal report reads gold through the same path, with
  only 'x' and 'z' flags.
* A figure the report computes itself (a school's total over its SRPs, a difference, a pivot
  total) is hidden whenever any figure it is computed from is hidden (:func:`computed_cell`),
  so every figure on a public page is a function of figures the release shows.

The report never formats a figure outside a :class:`Cell`, whose ``value`` (what a chart may
draw) is None whenever the figure is not shown, so a chart cannot reveal a hidden value either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

CONFIDENTIAL = "c"
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"
SYMBOLS = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE)
FLAG_SUFFIX = "_flag"  # the release's flag column after a figure: <column>_flag


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
    """A label (name, code, year): shown as given, blank when missing; a flag as Yes / No."""
    if isinstance(text, bool):
        return Cell("Yes" if text else "No", None, numeric=False)
    return Cell("" if text is None else str(text), None, numeric=False)


SUPPRESSED = Cell(CONFIDENTIAL)
NOT_APPLICABLE_CELL = Cell(NOT_APPLICABLE)
NOT_AVAILABLE_CELL = Cell(NOT_AVAILABLE)
SYMBOL_CELLS = {CONFIDENTIAL: SUPPRESSED, NOT_APPLICABLE: NOT_APPLICABLE_CELL,
                NOT_AVAILABLE: NOT_AVAILABLE_CELL}


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def number_cell(value: float | None, decimals: int = 0, suffix: str = "") -> Cell:
    """A number as it is (``x`` when missing)."""
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    return Cell(format_number(value, decimals) + suffix, round(float(value), decimals))


def money_cell(value: float | None, *, decimals: int = 0) -> Cell:
    """Pounds: ``-£1,500``."""
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    sign = "-" if value < 0 else ""
    return Cell(f"{sign}£{format_number(abs(value), decimals)}", float(value))


def percent_cell(value: float | None, *, scale: float = 1.0, decimals: int = 1) -> Cell:
    """A percentage stored as 0-100 (``scale`` 1) or as a share 0-1 (``scale`` 100)."""
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    return number_cell(scale * float(value), decimals, "%")


# ---------------------------------------------------------------------------------------------
# figures of the release, and figures computed from them
# ---------------------------------------------------------------------------------------------
def release_cell(row: Mapping[str, object], column: str, show: Callable[[object], Cell]) -> Cell:
    """A figure of a release row: the symbol of its flag (any other flag value counts as
    hidden), ``x`` when the value is missing, else ``show(value)``."""
    flag = row.get(column + FLAG_SUFFIX)
    if flag is not None:
        return SYMBOL_CELLS.get(str(flag).strip(), SUPPRESSED)
    value = row.get(column)
    if _is_missing(value):
        return NOT_AVAILABLE_CELL
    return show(value)


Computed = Callable[..., "float | Cell | None"]


def computed_cell(
    inputs: Sequence[Cell], compute: Computed, show: Callable[[float], Cell] = number_cell
) -> Cell:
    """A figure the report computes from shown cells: ``c`` when any input is hidden, else
    ``compute(*values)`` (each input's value, None for ``x`` or ``z``) shown with ``show``; a
    result of None is ``x``, a Cell is taken as it is (e.g. ``z``)."""
    if any(cell.is_suppressed for cell in inputs):
        return SUPPRESSED
    result = compute(*(cell.value for cell in inputs))
    if isinstance(result, Cell):
        return result
    return NOT_AVAILABLE_CELL if _is_missing(result) else show(result)


def total_of(*values: float | None) -> float | None:
    """The sum of the values there are (None when there is none): for :func:`computed_cell`."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def difference_of(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first - second


def ratio_percent(numerator: float | None, denominator: float | None) -> float | Cell | None:
    """100 x numerator / denominator, ``z`` over a denominator of 0."""
    if numerator is None or denominator is None:
        return None
    return NOT_APPLICABLE_CELL if denominator == 0 else 100.0 * numerator / denominator


# ---------------------------------------------------------------------------------------------
# counts that are not in the release (the data-quality appendix's counts of children)
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _rules():
    from orchestration.disclosure.declarations import load_rules

    return load_rules()


def is_small(count: float | None) -> bool:
    """True for a count the reference rules (seed ref_disclosure_rules) never show (1-4)."""
    return not _is_missing(count) and _rules().hides(count)


def count_cell(count: float | None) -> Cell:
    """A count of children that no release covers (the appendix's cascades): ``c`` where the
    reference rules hide it, ``x`` when missing, else the number."""
    if _is_missing(count):
        return NOT_AVAILABLE_CELL
    return SUPPRESSED if is_small(count) else number_cell(count)
