"""Write the SRP annual return workbook a school fills in (layout in layout.py).

The council pre-fills what it knows (school, designations, commissioned places, the pupils it
placed); those cells are locked. Everything the school fills in is unlocked and carries a data
validation. Values are written exactly as given, so the sample generator can also use this to
simulate returns that schools filled in, mistakes included (text in number cells and so on).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from copy import copy
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from orchestration import council
from orchestration.contract import RETURN_DESTINATION_CODES, academic_year_start
from orchestration.returns import layout
from orchestration.returns.cells import set_cell_value, write_cell
from orchestration.returns.layout import Column, Sheet
from orchestration.returns.model import SchoolReturn

UNLOCKED = Protection(locked=False)
PREFILLED_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
WARNING_FONT = Font(bold=True, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="top")


def write_return_workbook(path: Path, school_return: SchoolReturn) -> None:
    """Write ``school_return`` as a return workbook; same input, byte-identical file."""
    wb = Workbook()
    wb.remove(wb.active)
    _write_instructions(wb.create_sheet(layout.INSTRUCTIONS), school_return)
    _write_form(wb.create_sheet(layout.DETAILS), layout.DETAILS_SHEET, _details(school_return))
    _write_table(wb.create_sheet(layout.PLACES), layout.PLACES_SHEET,
                 [(dataclasses.asdict(p), True) for p in school_return.places])
    _write_table(wb.create_sheet(layout.PUPILS), layout.PUPILS_SHEET,
                 [(dataclasses.asdict(p), p.prefilled) for p in school_return.pupils])
    _write_form(wb.create_sheet(layout.FINANCE), layout.FINANCE_SHEET,
                dataclasses.asdict(school_return.finance))
    _write_form(wb.create_sheet(layout.OUTCOMES), layout.OUTCOMES_SHEET,
                dataclasses.asdict(school_return.outcomes))
    _write_lists(wb.create_sheet(layout.LISTS))
    # Stops sheets being renamed, moved or deleted; no password (this is not security).
    wb.security = WorkbookProtection(lockStructure=True)
    save_deterministic(wb, Path(path), _timestamp(school_return))


def _details(school_return: SchoolReturn) -> dict:
    return {c.field: getattr(school_return, c.field) for c in layout.DETAILS_SHEET.columns}


# --- sheets ------------------------------------------------------------------------------

def _start_sheet(ws, sheet: Sheet) -> None:
    write_cell(ws, 1, 1, sheet.title).font = TITLE_FONT
    write_cell(ws, layout.HINT_ROW, 1, sheet.hint)
    for index, header in enumerate(sheet.headers, start=1):
        cell = write_cell(ws, layout.HEADER_ROW, index, header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[layout.HEADER_ROW].height = 45
    ws.freeze_panes = f"A{layout.FIRST_DATA_ROW}"
    mark_personal_data(ws)
    _protect(ws)


PERSONAL_DATA_MARKING = "OFFICIAL-SENSITIVE: contains personal data about children"


def mark_personal_data(ws) -> None:
    """The protective marking in the printed header and footer of a sheet."""
    ws.oddHeader.center.text = PERSONAL_DATA_MARKING
    ws.oddFooter.center.text = PERSONAL_DATA_MARKING


def _protect(ws) -> None:
    ws.protection.sheet = True
    # Let schools resize columns and rows; everything else stays protected.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _write_value(cell, column: Column, value, locked: bool) -> None:
    if value is not None:
        set_cell_value(cell, value)
    cell._style = copy(_cell_style(cell.parent, column.number_format, locked))


def _cell_style(ws, number_format: str, locked: bool):
    """The style array for a data cell, built once per sheet and kind.

    Copying a ready-made style array is ~10x faster than setting fill, protection and number
    format per cell, which matters for the 100k-row benchmark workbook.
    """
    cache = ws.__dict__.setdefault("_return_styles", {})
    key = (number_format, locked)
    if key not in cache:
        prototype = Cell(ws)
        prototype.number_format = number_format
        if locked:
            prototype.fill = PREFILLED_FILL
        else:
            prototype.protection = UNLOCKED
        cache[key] = prototype._style
    return cache[key]


def _write_form(ws, sheet: Sheet, values: dict) -> None:
    _start_sheet(ws, sheet)
    for column in sheet.columns:
        row = sheet.form_row(column.field)
        write_cell(ws, row, 1, column.header).font = Font(bold=True)
        write_cell(ws, row, 3, column.help).alignment = WRAP
        value_cell = ws.cell(row, 2)
        _write_value(value_cell, column, values.get(column.field), column.prefilled)
        if not column.prefilled:
            _add_validation(ws, column, value_cell.coordinate)
    for letter, width in zip("ABC", (44, 22, 70)):
        ws.column_dimensions[letter].width = width


def _write_table(ws, sheet: Sheet, records: list[tuple[dict, bool]]) -> None:
    """``records``: (values by field, whether the council pre-filled it) per row."""
    _start_sheet(ws, sheet)
    last_row = layout.FIRST_DATA_ROW + len(records) + sheet.blank_rows - 1
    blank = ({}, False)
    for row, (values, prefilled) in enumerate(
            records + [blank] * sheet.blank_rows, start=layout.FIRST_DATA_ROW):
        for index, column in enumerate(sheet.columns, start=1):
            locked = prefilled and column.prefilled
            _write_value(ws.cell(row, index), column, values.get(column.field), locked)
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        editable_somewhere = sheet.blank_rows or not column.prefilled
        if editable_somewhere and last_row >= layout.FIRST_DATA_ROW:
            _add_validation(ws, column, f"{letter}{layout.FIRST_DATA_ROW}:{letter}{last_row}")


def _write_lists(ws) -> None:
    for index, (name, codes) in enumerate(layout.CODE_LISTS.items(), start=1):
        write_cell(ws, 1, index, name).font = Font(bold=True)
        for row, code in enumerate(codes, start=2):
            write_cell(ws, row, index, code)
    ws.sheet_state = "hidden"
    _protect(ws)


# --- data validation ---------------------------------------------------------------------

def _add_validation(ws, column: Column, sqref: str) -> None:
    validation = _validation_for(column)
    if validation is None:
        return
    validation.allow_blank = True
    validation.showErrorMessage = True
    validation.errorTitle = column.header[:32]  # Excel limits the title to 32 characters
    validation.error = "Must be " + column.expectation().removeprefix("is not ")
    validation.showInputMessage = bool(column.help)
    validation.prompt = column.help[:255]
    validation.add(sqref)
    ws.add_data_validation(validation)


def _validation_for(column: Column) -> DataValidation | None:
    if column.codes:
        return DataValidation(type="list", formula1=layout.list_range(column.codes))
    if column.kind in ("count", "number", "percent"):
        kind = "whole" if column.kind == "count" else "decimal"
        if column.maximum is None:
            return DataValidation(type=kind, operator="greaterThanOrEqual",
                                  formula1=f"{column.minimum:g}")
        return DataValidation(type=kind, operator="between", formula1=f"{column.minimum:g}",
                              formula2=f"{column.maximum:g}")
    if column.kind == "date":
        return DataValidation(type="date", operator="between",
                              formula1=str(int(to_excel(layout.EARLIEST_DATE))),
                              formula2=str(int(to_excel(layout.LATEST_DATE))))
    if column.kind == "upn":
        return DataValidation(type="textLength", operator="equal", formula1="13")
    return None


# --- instructions ------------------------------------------------------------------------

def _write_instructions(ws, school_return: SchoolReturn) -> None:
    for row, (text, font) in enumerate(_instruction_lines(school_return), start=1):
        cell = write_cell(ws, row, 1, text)
        cell.alignment = WRAP
        if font is not None:
            cell.font = font
    ws.column_dimensions["A"].width = 110
    _protect(ws)


def _instruction_lines(school_return: SchoolReturn) -> list[tuple[str, Font | None]]:
    bold = Font(bold=True)
    deadline = school_return.deadline or _deadline_or_none(school_return.academic_year)
    due = f"by {deadline:%d %B %Y}" if deadline else "by the date in the council's letter"
    lines = [
        (f"Specialist Resource Provision (SRP) annual return {school_return.academic_year}",
         TITLE_FONT),
        (f"{school_return.school_name} (URN {school_return.urn})", bold),
        (f"Please complete every sheet and send this workbook back {due}.", None),
        ("This workbook contains personal data about children (Unique Pupil Numbers and "
         "information about their needs, attendance and exclusions). Send it to the council "
         "only through its secure file transfer service, never by ordinary email. Do not add "
         "pupils' names. Delete local copies you no longer need.", WARNING_FONT),
        ("", None),
        ("How to fill it in", bold),
        ("- Grey cells were filled in by the council and are locked. Fill in the white cells.",
         None),
        ("- Use the drop-down lists for codes. Type dates as dd/mm/yyyy and numbers as digits "
         "only. Leave a cell blank if you do not know the value; do not type 'n/a'.", None),
        ("- Type percentages as numbers from 0 to 100 (95 for 95%), not as fractions.", None),
        ("- Do not rename sheets or change the headers. If something the council filled in is "
         "wrong, tell the SEND commissioning team when you send the return.", None),
        ("- Add pupils the council did not list in the blank rows of the Pupils sheet.", None),
    ]
    for sheet in layout.DATA_SHEETS:
        lines += [("", None), (f"{sheet.name}: {sheet.title}", bold), (sheet.hint, None)]
        lines += [(f"- {c.header}: {c.help}", None) for c in sheet.columns if c.help]
    lines += [("", None), ("Codes", bold), ("Designations:", None)]
    lines += [(f"- {code}: {name}", None) for code, name in layout.DESIGNATION_NAMES.items()]
    lines += [("Destinations (if a pupil left): " + "; ".join(RETURN_DESTINATION_CODES), None),
              ("NC year: 0 (or R) = Reception, 1-11 = Years 1 to 11, 12-14 = post-16.", None),
              ("Permanent exclusion: Y or N.", None),
              ("", None),
              (f"Template version {school_return.template_version}", None)]
    return lines


def _deadline_or_none(academic_year: str) -> dt.date | None:
    try:
        return layout.default_deadline(academic_year)
    except ValueError:
        return None


# --- deterministic save ------------------------------------------------------------------

def _timestamp(school_return: SchoolReturn) -> dt.datetime:
    if isinstance(school_return.date_completed, dt.date):
        return dt.datetime.combine(school_return.date_completed, dt.time())
    try:
        return dt.datetime(academic_year_start(school_return.academic_year), 9, 1)
    except ValueError:
        return dt.datetime(2000, 1, 1)


def save_deterministic(wb: Workbook, path: Path, stamp: dt.datetime) -> None:
    """Save with fixed document and zip-entry timestamps (openpyxl stamps entries with now)."""
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = wb.properties.lastModifiedBy = council.current().full_name
    buffer = io.BytesIO()
    # ExcelWriter rather than wb.save(), which overwrites properties.modified with now.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, _keep_carriage_returns(info.filename,
                                                          source.read(info.filename)))


def _keep_carriage_returns(part: str, data: bytes) -> bytes:
    """A carriage return in cell text as a character reference.

    openpyxl (through xml.etree) writes a CR in text as the raw byte, which every XML reader,
    Excel included, turns into a line feed; ``&#13;`` reads back as the CR it was. (Raw CRs
    occur only in text: attribute values are already escaped.)
    """
    return data.replace(b"\r", b"&#13;") if part.endswith(".xml") else data
