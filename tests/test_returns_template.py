"""The SRP return template: layout, validation, protection, round trip, determinism."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pytest

from orchestration.returns import layout
from orchestration.returns.model import TEMPLATE_VERSION, example_return
from orchestration.returns.reader import _render, read_return_workbook
from orchestration.returns.template import write_return_workbook

PUPILS = 30
LAST_PUPIL_ROW = layout.FIRST_DATA_ROW + PUPILS + layout.BLANK_PUPIL_ROWS - 1  # 93


@pytest.fixture(scope="module")
def template_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "return.xlsx"
    write_return_workbook(path, example_return(PUPILS))
    return path


@pytest.fixture(scope="module")
def workbook(template_path):
    return openpyxl.load_workbook(template_path)


def as_text(record) -> dict:
    """What the reader should give back for a model record: the values as text."""
    values = dataclasses.asdict(record)
    values.pop("prefilled", None)
    return {name: _render(value) for name, value in values.items()}


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_round_trip_returns_identical_values_and_no_issues(template_path, engine):
    school_return = example_return(PUPILS)
    parsed = read_return_workbook(template_path, engine=engine)

    assert parsed.issues == []
    details = {c.field: _render(getattr(school_return, c.field))
               for c in layout.DETAILS_SHEET.columns}
    assert parsed.details.values == details
    assert [row.values for row in parsed.places] == [as_text(p) for p in school_return.places]
    assert [row.values for row in parsed.pupils] == [as_text(p) for p in school_return.pupils]
    assert [row.row for row in parsed.pupils] == list(range(4, 4 + PUPILS))
    assert parsed.finance.values == as_text(school_return.finance)
    assert parsed.outcomes.values == as_text(school_return.outcomes)


def test_round_trip_renders_numbers_and_dates_canonically(template_path):
    parsed = read_return_workbook(template_path)
    first = parsed.pupils[0].values
    assert first["upn"] == "V886000000000"
    assert first["nc_year"] == "0"  # written as int 0, not "0.0"
    assert first["pct_timetable_mainstream"] == "20"  # 20.0 comes back as 20
    assert first["date_joined"] == "2024-09-01"
    assert parsed.finance.values["income_top_up"] == "180500.5"


def test_same_return_gives_byte_identical_files(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_return_workbook(first, example_return(5))
    write_return_workbook(second, example_return(5))
    assert first.read_bytes() == second.read_bytes()
    properties = openpyxl.load_workbook(first).properties
    assert properties.created == properties.modified == dt.datetime(2025, 9, 20)


def test_sheets_in_order_with_lists_hidden(workbook):
    assert workbook.sheetnames == list(layout.SHEET_ORDER)
    assert workbook[layout.LISTS].sheet_state == "hidden"
    assert workbook.security.lockStructure


def test_template_version_cell(workbook):
    details = workbook[layout.DETAILS]
    assert details["A9"].value == "Template version"
    assert details["B9"].value == TEMPLATE_VERSION
    assert details["B9"].protection.locked


def validations_by_range(ws) -> dict[str, object]:
    return {str(v.sqref): v for v in ws.data_validations.dataValidation}


def test_drop_downs_for_coded_pupil_fields(workbook):
    validations = validations_by_range(workbook[layout.PUPILS])
    expected = {
        f"B4:B{LAST_PUPIL_ROW}": "Lists!$D$2:$D$17",  # NC year R, 0-14
        f"C4:C{LAST_PUPIL_ROW}": "Lists!$A$2:$A$14",  # designation
        f"F4:F{LAST_PUPIL_ROW}": "Lists!$B$2:$B$7",  # destination
        f"J4:J{LAST_PUPIL_ROW}": "Lists!$C$2:$C$3",  # Y/N
    }
    for sqref, formula in expected.items():
        assert validations[sqref].type == "list"
        assert validations[sqref].formula1 == formula
    lists = workbook[layout.LISTS]
    assert [c.value for c in lists["A"][1:14]] == list(layout.CODE_LISTS["designation"])
    assert [c.value for c in lists["B"][1:7]] == list(layout.CODE_LISTS["destination"])
    assert [lists["C2"].value, lists["C3"].value] == ["Y", "N"]


def test_numeric_and_date_limits(workbook):
    pupils = validations_by_range(workbook[layout.PUPILS])
    attendance = pupils[f"H4:H{LAST_PUPIL_ROW}"]
    assert (attendance.type, attendance.operator, attendance.formula1, attendance.formula2) == (
        "decimal", "between", "0", "100")
    assert attendance.error == "Must be a number between 0 and 100"
    suspension = pupils[f"I4:I{LAST_PUPIL_ROW}"]
    assert (suspension.formula1, suspension.formula2) == ("0", "190")
    joined = pupils[f"D4:D{LAST_PUPIL_ROW}"]
    assert (joined.type, joined.formula1, joined.formula2) == ("date", "36526", "73415")
    assert pupils[f"A4:A{LAST_PUPIL_ROW}"].type == "textLength"
    places = validations_by_range(workbook[layout.PLACES])
    assert (places["C4:C5"].type, places["C4:C5"].operator, places["C4:C5"].formula1) == (
        "whole", "greaterThanOrEqual", "0")
    assert "A4:A5" not in places  # designations are pre-filled and locked: no drop-down
    finance = validations_by_range(workbook[layout.FINANCE])
    assert finance["B4"].type == "decimal"


def test_number_and_date_formats(workbook):
    pupils = workbook[layout.PUPILS]
    assert pupils["D4"].number_format == "dd/mm/yyyy"
    assert pupils[f"K{LAST_PUPIL_ROW}"].number_format == "dd/mm/yyyy"
    assert pupils["A4"].number_format == "@"
    assert workbook[layout.FINANCE]["B4"].number_format == "£#,##0.00"
    assert workbook[layout.DETAILS]["B8"].number_format == "dd/mm/yyyy"


def test_every_sheet_is_protected_without_a_password(workbook):
    for ws in workbook.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title


def test_prefilled_cells_locked_and_input_cells_unlocked(workbook):
    details, places, pupils = (workbook[n] for n in (layout.DETAILS, layout.PLACES, layout.PUPILS))
    locked = [details["B4"], details["B5"], details["B6"], places["A4"], places["B5"],
              pupils["A4"], pupils["B4"], pupils["C4"], pupils["D4"], pupils["A3"]]
    unlocked = [details["B7"], details["B8"], places["C4"], places["F5"], pupils["E4"],
                pupils["H4"], pupils["K4"],
                pupils["A13"],  # pupil 10 was added by the school: all its cells are open
                pupils[f"A{LAST_PUPIL_ROW}"], workbook[layout.FINANCE]["B14"],
                workbook[layout.OUTCOMES]["B6"]]
    assert all(cell.protection.locked for cell in locked)
    assert not any(cell.protection.locked for cell in unlocked)
    assert pupils[f"A{LAST_PUPIL_ROW + 1}"].protection.locked  # beyond the input area


def test_headers_frozen_and_columns_sized(workbook):
    pupils = workbook[layout.PUPILS]
    assert [c.value for c in pupils[3]] == list(layout.PUPILS_SHEET.headers)
    assert pupils.freeze_panes == "A4"
    assert pupils.column_dimensions["F"].width == 26


def test_instructions_cover_personal_data_deadline_and_codes(workbook):
    text = "\n".join(str(c.value) for c in workbook[layout.INSTRUCTIONS]["A"] if c.value)
    assert "personal data about children" in text
    assert "secure file transfer" in text
    assert "30 September 2025" in text
    assert "ASD: Autistic spectrum disorder" in text
    assert "special school" in text
    assert "0 (or R) = Reception" in text


def test_values_written_as_given_even_when_wrong(tmp_path):
    school_return = example_return(2)
    school_return.pupils[0].attendance_pct = "ninety"
    school_return.pupils[1].date_joined = "31/02/2024"
    path = tmp_path / "typed.xlsx"
    write_return_workbook(path, school_return)
    pupils = openpyxl.load_workbook(path)[layout.PUPILS]
    assert pupils["H4"].value == "ninety"
    assert pupils["D5"].value == "31/02/2024"
