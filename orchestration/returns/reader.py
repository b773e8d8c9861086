"""Read a returned SRP workbook back (layout in layout.py), keeping values as landed.

Every value comes back as the text the school entered (Excel numbers rendered canonically,
``12`` not ``12.0``; Excel dates as ISO ``yyyy-mm-dd``; anything else as typed, trimmed) with
its sheet and row, plus a :class:`ReturnIssue` for each value that breaks the rules. An
``error`` issue rejects its row, a ``warning`` keeps it. A workbook that cannot be read as a
return at all raises :class:`ReturnStructureError` and is quarantined whole by the caller.

Two engines: ``calamine`` (Rust, the default, several times faster) and ``openpyxl``
(read-only mode, kept as a pure-Python fallback and for the benchmark).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
from python_calamine import CalamineError, CalamineWorkbook
from stdnum.gb.upn import calc_check_digit

from orchestration.contract import (
    FALSE_FLAGS,
    TRUE_FLAGS,
    academic_year_folder,
    academic_year_label,
    academic_year_start,
)
from orchestration import problems
from orchestration.returns import layout
from orchestration.settings import SEEDS_DIR
from orchestration.returns.layout import Column, Sheet

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # encrypted .xlsx and old .xls files
ENGINES = ("calamine", "openpyxl")
FLAG_SPELLINGS = frozenset(TRUE_FLAGS + FALSE_FLAGS)
UPN_PATTERN = re.compile(r"[A-Z]\d{12}")
NUMBER_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
WARNINGS = frozenset({"looks_like_fraction"})  # rules that keep the row (catalogue: problems.py)


PASSWORD_PROTECTED = ("the workbook is password protected (or is an old Excel 97-2003 .xls "
                      "file): remove the password and save it as an Excel .xlsx workbook, then "
                      "send it again")
DAMAGED = ("the workbook is damaged or incomplete (it may have been cut short while saving or "
           "uploading): save it again in Excel and resend it")
RESEND_SMALLER = ("delete any rows and columns below and to the right of your answers (or copy "
                  "your answers into a fresh copy of the council's template) and send it again")


class ReturnStructureError(Exception):
    """The file cannot be read as an SRP return at all.

    ``reason`` says why in plain words; ``rule`` is a short code: empty_file,
    password_protected, not_a_workbook, damaged_workbook, unreadable, missing_sheet,
    unknown_template, changed_headers, sheet_too_large; and from guard.py / workers.py:
    too_large, zip_bomb, declared_dimension_too_large, reader_crashed, reader_timeout.
    """

    def __init__(self, reason: str, rule: str = "unreadable"):
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


QUARANTINE_RULES = problems.QUARANTINE_RULES
quarantine_advice = problems.quarantine_advice


@dataclass(frozen=True)
class ReturnIssue:
    sheet: str
    row: int | None
    column: str | None  # header (tables) or label (forms) of the field
    value: str | None
    rule: str  # not_a_number, out_of_range, unknown_code, invalid_date, invalid_upn, ...
    message: str
    severity: str = "error"  # error: the row is rejected; warning: the row is kept
    cell: str | None = None  # Sheet!A1

    @property
    def text(self) -> str:
        """The message without its ``Sheet!A1: `` prefix (the cell is its own field)."""
        return self.message.removeprefix(f"{self.cell}: ") if self.cell else self.message


@dataclass
class ParsedRow:
    """One table row (Places, Pupils): values by model field name, as text."""

    sheet: str
    row: int
    values: dict[str, str | None]


@dataclass
class ParsedForm:
    """One form sheet (Details, Finance, Outcomes): values by field, and each field's row."""

    sheet: str
    values: dict[str, str | None]
    rows: dict[str, int]


@dataclass
class ParsedReturn:
    path: Path
    details: ParsedForm
    places: list[ParsedRow]
    pupils: list[ParsedRow]
    finance: ParsedForm
    outcomes: ParsedForm
    issues: list[ReturnIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[ReturnIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def rejected_rows(self) -> set[tuple[str, int]]:
        """(sheet, row) of every row with an error: not loaded beyond bronze."""
        return {(i.sheet, i.row) for i in self.errors if i.row is not None}


# --- public API ----------------------------------------------------------------------------

def read_return_workbook(path: Path, engine: str = "calamine",
                         max_area: tuple[int, int] | None = None) -> ParsedReturn:
    """Parse a returned workbook; raises ReturnStructureError if it is not a readable return.

    ``max_area``: (rows, columns) a sheet may use, as read (rule ``sheet_too_large``). This
    does not bound memory while reading: check untrusted files with guard.check_workbook and
    read them in a worker process (workers.py).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    path = Path(path)
    check_file_signature(path)
    book = _CalamineBook(path) if engine == "calamine" else _OpenpyxlBook(path)
    try:
        return _parse(path, _AreaLimited(book, max_area) if max_area else book)
    finally:
        book.close()


def check_return_context(parsed: ParsedReturn, expected_academic_year: str,
                         file_urn_hint: str | None = None) -> list[ReturnIssue]:
    """Errors when the return does not belong where it was found.

    ``expected_academic_year``: the year of the folder it landed in (``2024-25`` or
    ``2024/25``). ``file_urn_hint``: the URN the file was sent as, if the caller knows one.
    Blank URN / year are already ``required`` errors from the reader, so are skipped here.
    """
    details = parsed.details
    issues = []
    year = details.values.get("academic_year")
    expected_start = academic_year_start(expected_academic_year)
    if year is not None and _year_start_or_none(year) != expected_start:
        folder = academic_year_folder(expected_start)
        issues.append(_context_issue(
            details, "academic_year", year, "wrong_year",
            problems.what("wrong_year", year=year, folder=folder,
                          expected=academic_year_label(expected_start))))
    urn = details.values.get("urn")
    if urn is not None and not (len(urn) == 6 and urn.isdigit()):
        issues.append(_context_issue(details, "urn", urn, "invalid_urn",
                                     f"URN '{urn}' {problems.what('invalid_urn', 'urn')}"))
    elif urn is not None and file_urn_hint and file_urn_hint.strip() != urn:
        issues.append(_context_issue(
            details, "urn", urn, "urn_mismatch",
            problems.what("urn_mismatch", urn=urn, sent=file_urn_hint.strip())))
    return issues


def _year_start_or_none(label: str) -> int | None:
    try:
        return academic_year_start(label)
    except ValueError:
        return None


def _context_issue(form: ParsedForm, field_name: str, value: str, rule: str,
                   text: str) -> ReturnIssue:
    column = layout.DETAILS_SHEET.column(field_name)
    cell = f"{form.sheet}!{layout.DETAILS_SHEET.cell(field_name)}"
    return ReturnIssue(form.sheet, form.rows[field_name], column.header, value, rule,
                       f"{cell}: {text}", cell=cell)


# --- file and structure checks --------------------------------------------------------------

def check_file_signature(path: Path) -> None:
    """Empty, OLE2 (password protected or .xls), not a zip, or a damaged zip: refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise ReturnStructureError("the file is empty", "empty_file")
    if head.startswith(OLE2_MAGIC):
        raise ReturnStructureError(PASSWORD_PROTECTED, "password_protected")
    if not head.startswith(b"PK"):
        raise ReturnStructureError(
            "this is not an Excel .xlsx workbook (it may be a CSV or another file renamed "
            "to .xlsx): fill in the council's template and save it as .xlsx", "not_a_workbook")
    if not zipfile.is_zipfile(path):
        raise ReturnStructureError(DAMAGED, "damaged_workbook")


def _parse(path: Path, book) -> ParsedReturn:
    sheet_names = _find_sheets(book.sheet_names)
    issues: list[ReturnIssue] = []
    details_grid = book.rows(sheet_names[layout.DETAILS])
    _check_template_version(details_grid, sheet_names[layout.DETAILS])

    def form(sheet: Sheet, grid=None) -> ParsedForm:
        name = sheet_names[sheet.name]
        return _read_form(grid or book.rows(name), sheet, name, issues)

    def table(sheet: Sheet) -> list[tuple[ParsedRow, dict]]:
        name = sheet_names[sheet.name]
        return _read_table(book.rows(name), sheet, name, issues)

    details = form(layout.DETAILS_SHEET, details_grid)
    places = [row for row, _ in table(layout.PLACES_SHEET)]
    pupils_parsed = table(layout.PUPILS_SHEET)
    _check_pupil_rows(pupils_parsed, issues)
    pupils = [row for row, _ in pupils_parsed]
    finance = form(layout.FINANCE_SHEET)
    outcomes = form(layout.OUTCOMES_SHEET)
    return ParsedReturn(path, details, places, pupils, finance, outcomes, issues)


def _normal(text) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def _find_sheets(names: list[str]) -> dict[str, str]:
    """Layout sheet name -> name in the file (matched ignoring case and spaces)."""
    by_normal = {_normal(name): name for name in names}
    found = {}
    for sheet in layout.DATA_SHEETS:
        if _normal(sheet.name) not in by_normal:
            raise ReturnStructureError(
                f"the workbook has no '{sheet.name}' sheet (its sheets are: "
                f"{', '.join(names)}); sheets must not be renamed or deleted", "missing_sheet")
        found[sheet.name] = by_normal[_normal(sheet.name)]
    return found


def _grid_cell(grid: list, row: int, column: int):
    """Value at 1-based ``row``/``column``; None beyond the used area."""
    if row > len(grid):
        return None
    cells = grid[row - 1]
    return cells[column - 1] if column <= len(cells) else None


def _check_template_version(grid: list, sheet_name: str) -> None:
    # Found by its label, not its address, so an older layout still gets a clear message.
    label = _normal(layout.DETAILS_SHEET.column("template_version").header)
    row = next((r for r in range(1, len(grid) + 1) if _normal(_grid_cell(grid, r, 1)) == label),
               None)
    version = _render(_grid_cell(grid, row, 2)) if row else None
    supported = ", ".join(layout.SUPPORTED_TEMPLATE_VERSIONS)
    if version is None:
        raise ReturnStructureError(
            f"the {sheet_name} sheet has no template version, so this is not the council's "
            f"SRP return template (version {supported}): fill in the template you were sent",
            "unknown_template")
    if version not in layout.SUPPORTED_TEMPLATE_VERSIONS:
        raise ReturnStructureError(
            f"template version {version} is not supported (this return must use version "
            f"{supported}): copy your answers into the current template and send that",
            "unknown_template")


def _check_headers(grid: list, sheet: Sheet, sheet_name: str) -> None:
    expected_cells = [(layout.HEADER_ROW, index, header)
                      for index, header in enumerate(sheet.headers, start=1)]
    if sheet.form:
        expected_cells += [(sheet.form_row(c.field), 1, c.header) for c in sheet.columns]
    for row, column, expected in expected_cells:
        found = _grid_cell(grid, row, column)
        if _normal(found) != _normal(expected):
            address = f"{_letter(column)}{row}"
            raise ReturnStructureError(
                f"the {sheet_name} sheet has been changed: cell {address} should say "
                f"'{expected}' but says '{_render(found) or ''}'; use the council's template "
                "without changing its headings", "changed_headers")


def _letter(column: int) -> str:
    return openpyxl.utils.get_column_letter(column)


# --- reading values ----------------------------------------------------------------------

def _read_form(grid: list, sheet: Sheet, sheet_name: str,
               issues: list[ReturnIssue]) -> ParsedForm:
    _check_headers(grid, sheet, sheet_name)
    values, rows = {}, {}
    for column in sheet.columns:
        row = sheet.form_row(column.field)
        raw = _grid_cell(grid, row, 2)
        values[column.field] = _check_cell(column, raw, _render(raw), sheet_name, row, "B",
                                           issues, blank_wording="form_line")[0]
        rows[column.field] = row
    return ParsedForm(sheet_name, values, rows)


def _read_table(grid: list, sheet: Sheet, sheet_name: str,
                issues: list[ReturnIssue]) -> list[tuple[ParsedRow, dict]]:
    """Non-blank rows, each with its parsed values (for cross-field checks)."""
    _check_headers(grid, sheet, sheet_name)
    columns = sheet.columns
    letters = [_letter(i) for i in range(1, len(columns) + 1)]
    parsed_rows = []
    for row in range(layout.FIRST_DATA_ROW, len(grid) + 1):
        cells = list(grid[row - 1][:len(columns)])
        texts = [_render(value) for value in cells]
        if not any(texts):
            continue
        cells += [None] * (len(columns) - len(cells))
        texts += [None] * (len(columns) - len(texts))
        values, natives = {}, {}
        for column, letter, raw, text in zip(columns, letters, cells, texts):
            values[column.field], natives[column.field] = _check_cell(
                column, raw, text, sheet_name, row, letter, issues,
                blank_wording="table_row")
        parsed_rows.append((ParsedRow(sheet_name, row, values), natives))
    return parsed_rows


def _check_cell(column: Column, raw, text: str | None, sheet_name: str, row: int, letter: str,
                issues: list[ReturnIssue], blank_wording: str) -> tuple[str | None, object]:
    """(text, parsed value or None) of a cell; appends an issue if it breaks a rule.

    ``raw`` is the cell value as the engine gave it, ``text`` its _render()ed form.
    """
    if text is None:
        if column.if_blank:
            issues.append(ReturnIssue(
                sheet_name, row, column.header, None, "required",
                f"{sheet_name}!{letter}{row}: {column.header} "
                f"{problems.what('required', blank_wording)}",
                column.if_blank, f"{sheet_name}!{letter}{row}"))
        return None, None
    if column.kind == "date" and type(raw) is dt.datetime:
        text = raw.date().isoformat()  # a date typed with a time: the date is the value
    if text in layout.EXCEL_ERRORS:
        issues.append(ReturnIssue(
            sheet_name, row, column.header, text, "formula_error",
            f"{sheet_name}!{letter}{row}: {column.header} "
            f"{problems.what('formula_error', value=text)}", cell=f"{sheet_name}!{letter}{row}"))
        return text, None
    native, rule = PARSERS.get(column.kind, _parse_text)(column, raw, text)
    if rule:
        problem = problems.what(rule) if rule in WARNINGS else column.expectation(rule)
        issues.append(ReturnIssue(
            sheet_name, row, column.header, text, rule,
            f"{sheet_name}!{letter}{row}: {column.header} '{text}' {problem}",
            "warning" if rule in WARNINGS else "error", f"{sheet_name}!{letter}{row}"))
    return text, native


def _render(value) -> str | None:
    """The text of a cell as bronze keeps it; None for blank (or only spaces)."""
    kind = type(value)  # exact type first: this runs for every cell
    if kind is str:
        return value.strip() or None
    if kind is float:
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if value is None:
        return None
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if kind is dt.date:
        return value.isoformat()
    return str(value)


# --- parsers: (column, raw cell value, its text) -> (parsed value, failed rule or None) -----

def _parse_text(column: Column, raw, text: str):
    return text, None


def _to_number(raw, text: str) -> float | None:
    """A number cell, or text that is a plain number: no £, commas, % or spaces inside, as
    silver casts the landed text with SQL, which accepts no more."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if not isinstance(raw, str) or not NUMBER_TEXT.fullmatch(text):
        return None  # a date in a number cell, or text that is not a plain number
    return float(text)


def _parse_number(column: Column, raw, text: str):
    number = _to_number(raw, text)
    if number is None or (column.kind == "count" and not number.is_integer()):
        return None, "not_a_number"
    if number < column.minimum or (column.maximum is not None and number > column.maximum):
        return number, "out_of_range"
    if column.kind == "percent" and 0 < number < 1:
        return number, "looks_like_fraction"  # 95% typed into a cell Excel stores as 0.95
    return number, None


def _parse_nc_year(column: Column, raw, text: str):
    if text.upper() == layout.RECEPTION:
        return 0, None
    number = _to_number(raw, text)
    if number is None or not number.is_integer():
        return None, "not_a_number"
    if int(number) not in layout.NC_YEARS:
        return int(number), "out_of_range"
    return int(number), None


def _parse_date(column: Column, raw, text: str):
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, str):
        value = _date_from_text(text)
    else:
        value = None  # a bare number: Excel did not store it as a date
    if value is None:
        return None, "invalid_date"
    if not layout.EARLIEST_DATE <= value <= layout.LATEST_DATE:
        return value, "out_of_range"
    return value, None


def _date_from_text(text: str) -> dt.date | None:
    for date_format in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


CODES_CASEFOLDED = {name: frozenset(str(code).casefold() for code in codes)
                    for name, codes in layout.CODE_LISTS.items()}


def _parse_code(column: Column, raw, text: str):
    known = text.casefold() in CODES_CASEFOLDED[column.codes]
    return text, (None if known else "unknown_code")


def _parse_flag(column: Column, raw, text: str):
    lowered = text.casefold()
    if lowered not in FLAG_SPELLINGS:
        return None, "unknown_code"
    return lowered in TRUE_FLAGS, None


def _parse_upn(column: Column, raw, text: str):
    upn = text.upper()
    if not UPN_PATTERN.fullmatch(upn) or calc_check_digit(upn[1:]) != upn[0]:
        return None, "invalid_upn"
    return upn, None


PARSERS = {
    "count": _parse_number,
    "number": _parse_number,
    "percent": _parse_number,
    "nc_year": _parse_nc_year,
    "date": _parse_date,
    "code": _parse_code,
    "flag": _parse_flag,
    "upn": _parse_upn,
}


# --- cross-field checks on pupils ----------------------------------------------------------

def _check_pupil_rows(rows: list[tuple[ParsedRow, dict]], issues: list[ReturnIssue]) -> None:
    sheet = layout.PUPILS_SHEET
    first_row_of_upn: dict[str, int] = {}
    for parsed, natives in rows:
        left, joined = natives["date_left"], natives["date_joined"]

        def warn(field_name: str, rule: str, text: str) -> None:
            column = sheet.column(field_name)
            cell = f"{parsed.sheet}!{sheet.cell(field_name, parsed.row)}"
            issues.append(ReturnIssue(
                parsed.sheet, parsed.row, column.header, parsed.values[field_name], rule,
                f"{cell}: {text}", "warning", cell))

        if left and parsed.values["destination"] is None:
            warn("destination", "required", problems.what("required", "destination_if_left"))
        if parsed.values["destination"] is not None and parsed.values["date_left"] is None:
            warn("date_left", "inconsistent",
                 problems.what("inconsistent", "destination_without_date"))
        if left and joined and left < joined:
            warn("date_left", "inconsistent",
                 problems.what("inconsistent", "left_before_joined",
                               left=f"{left:%d/%m/%Y}", joined=f"{joined:%d/%m/%Y}"))
        upn = natives["upn"]
        if upn in first_row_of_upn:
            warn("upn", "duplicate_upn",
                 problems.what("duplicate_upn", row=first_row_of_upn[upn]))
        elif upn:
            first_row_of_upn[upn] = parsed.row


# --- engines: sheet names, and a sheet's rows from Excel row 1 and column A ------------------

class _CalamineBook:
    def __init__(self, path: Path):
        self.path = path
        try:
            self._book = CalamineWorkbook.from_path(str(path))
            self.sheet_names = list(self._book.sheet_names)
        except CalamineError as error:
            raise ReturnStructureError(f"the workbook could not be read ({error})") from error

    def rows(self, name: str) -> list[list]:
        try:
            grid = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except CalamineError as error:
            raise ReturnStructureError(f"the {name} sheet could not be read ({error})") from error
        for (row, column), code in _error_cells(self.path, name).items():
            while len(grid) < row:
                grid.append([])
            cells = grid[row - 1]
            cells += [""] * (column - len(cells))
            cells[column - 1] = code
        return grid

    def close(self) -> None:
        self._book.close()


class _AreaLimited:
    """A book whose sheets' rows() refuse a used area beyond (rows, columns)."""

    def __init__(self, book, max_area: tuple[int, int]):
        self._book, self._max_area = book, max_area
        self.sheet_names = book.sheet_names

    def rows(self, name: str) -> list[list]:
        grid = self._book.rows(name)
        rows, columns = len(grid), max(map(len, grid), default=0)
        max_rows, max_columns = self._max_area
        if rows > max_rows or columns > max_columns:
            raise ReturnStructureError(
                f"the {name} sheet has cells in {rows:,} rows by {columns:,} columns; a return's"
                f" sheets have at most {max_rows:,} rows and {max_columns:,} columns: "
                f"{RESEND_SMALLER}", "sheet_too_large")
        return grid


class _OpenpyxlBook:
    def __init__(self, path: Path):
        # A file handle, not the path: openpyxl refuses paths not ending .xlsx/.xlsm.
        self._handle = path.open("rb")
        try:
            self._book = openpyxl.load_workbook(self._handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            self._handle.close()
            raise ReturnStructureError(f"the workbook could not be read ({error})") from error
        self.sheet_names = list(self._book.sheetnames)

    def rows(self, name: str) -> list[list]:
        # Read-only mode yields a cell error as its code ('#REF!'), as calamine rows() does.
        return [list(row) for row in self._book[name].iter_rows(values_only=True)]

    def close(self) -> None:
        self._book.close()
        self._handle.close()


# python-calamine reads error cells (#REF!, #DIV/0!...) as empty strings
# (dimastbk/python-calamine#105), so find them in the sheet XML. The byte search for t="e"
# makes this nearly free for the usual workbook with no error cells.
_ERROR_TYPE = (b't="e"', b"t='e'")
_ERROR_CELL = re.compile(rb"<c\s([^>]*?\bt=[\"']e[\"'][^>]*)>(.*?)</c>", re.DOTALL)
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]+)(\d+)[\"']")
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _error_cells(path: Path, sheet_name: str) -> dict[tuple[int, int], str]:
    """(row, column) -> error code of each error cell in the sheet, both 1-based.

    The package XML is parsed here by ElementTree, which is stricter than calamine: what it
    refuses (junk after the root element, duplicate attributes, bad characters) is a damaged
    workbook, like anything else the reader cannot parse."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet_name)
            xml = archive.read(part) if part else b""
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, EOFError,
            zlib.error) as error:
        raise ReturnStructureError(DAMAGED, "damaged_workbook") from error
    if not any(marker in xml for marker in _ERROR_TYPE):
        return {}
    found = {}
    for attributes, body in _ERROR_CELL.findall(xml):
        ref, value = _CELL_REF.search(attributes), _CELL_VALUE.search(body)
        if ref and value:
            column = openpyxl.utils.column_index_from_string(ref.group(1).decode())
            found[(int(ref.group(2)), column)] = value.group(1).decode()
    return found


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """Zip member holding the sheet's XML; None if the package is not laid out as expected
    (e.g. strict OOXML), in which case error cells simply read as blank."""
    return sheet_parts(archive).get(sheet_name)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member holding its XML, for the sheets whose member exists."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iterfind("rel:Relationship", _NS)}
    members = set(archive.namelist())
    parts = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"))
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part in members:
            parts.setdefault(sheet.get("name"), part)
    return parts
