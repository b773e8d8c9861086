"""The one way the return templates and the feedback workbooks put a value into a cell.

openpyxl stores any string that starts with ``=`` as a live formula (and ``#REF!`` and the
other error codes as error cells). The outbox writes text it does not control: GIAS school
names, values schools typed into their returns, the names of the files they sent. Written
as a formula, ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` would run when the school opens
the workbook. So every string goes in as a string cell (``data_type "s"``), whatever it
starts with: no quote prefix, the school sees exactly the text. Numbers, dates and booleans
keep their types.

Characters a worksheet cannot hold (control characters other than tab, line feed and
carriage return) become U+FFFD instead of failing the whole workbook.

Neither workbook needs a cell formula: the drop-down lists and number, date and UPN limits
are data validations (``DataValidation.formula1``), which are not cell values and are not
written through here. A cell that ever needs a formula must be given one deliberately, by a
separate function, never by passing text to :func:`write_cell`.
"""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

TEXT = "s"
REPLACEMENT_CHARACTER = "\ufffd"


def write_cell(ws, row: int, column: int, value=None) -> Cell:
    """Put ``value`` in the cell at ``row``, ``column`` of ``ws`` (see the module docstring)
    and return the cell."""
    cell = ws.cell(row, column)
    set_cell_value(cell, value)
    return cell


def set_cell_value(cell: Cell, value) -> None:
    """``cell.value = value``, with text always stored as text, never as a formula."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, value)
        cell.data_type = TEXT
    else:
        cell.value = value
