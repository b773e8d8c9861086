"""The return template takes "R" for Reception (issue 14 item 12): the NC year drop-down of a
generated template offers it, and a workbook filled in with R reads back as Reception (NC year
0 once typed in the warehouse: stg_returns__pupils) with no problem, in both reader engines."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from orchestration.returns import layout
from orchestration.returns.model import example_return
from orchestration.returns.reader import read_return_workbook
from orchestration.returns.template import write_return_workbook

SCHOOL_ADDED_PUPIL = 4  # example_return: every fifth pupil is added by the school (unlocked)
NC_YEAR_LETTER = get_column_letter(
    [c.field for c in layout.PUPILS_SHEET.columns].index("nc_year") + 1)


def drop_down_values(workbook, sheet: str, cell: str) -> list:
    """What Excel lets the school pick (and type) in a cell: the list its validation reads."""
    [validation] = [v for v in workbook[sheet].data_validations.dataValidation if cell in v.sqref]
    assert validation.type == "list" and validation.showErrorMessage
    list_sheet, cells = validation.formula1.split("!")
    min_col, min_row, _, max_row = range_boundaries(cells.replace("$", ""))
    return [workbook[list_sheet].cell(row, min_col).value for row in range(min_row, max_row + 1)]


@pytest.fixture(scope="module")
def filled_with_r(tmp_path_factory):
    """A generated template in which the school typed R as a pupil's NC year."""
    folder = tmp_path_factory.mktemp("reception")
    template = folder / "template.xlsx"
    write_return_workbook(template, example_return(10))
    workbook = openpyxl.load_workbook(template)
    cell = f"{NC_YEAR_LETTER}{layout.FIRST_DATA_ROW + SCHOOL_ADDED_PUPIL}"
    assert not workbook[layout.PUPILS][cell].protection.locked  # the school can type here
    assert "R" in drop_down_values(workbook, layout.PUPILS, cell)
    workbook[layout.PUPILS][cell] = "R"
    filled = folder / "filled.xlsx"
    workbook.save(filled)
    return filled


def test_the_nc_year_drop_down_offers_r_and_every_nc_year():
    template_values = layout.CODE_LISTS["nc_year"]
    assert template_values == ("R", *range(0, 15))


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_r_reads_back_as_reception_without_a_problem(filled_with_r, engine):
    parsed = read_return_workbook(filled_with_r, engine=engine)
    assert parsed.issues == []
    pupil = parsed.pupils[SCHOOL_ADDED_PUPIL]
    assert pupil.row == layout.FIRST_DATA_ROW + SCHOOL_ADDED_PUPIL
    assert pupil.values["nc_year"] == "R"
    assert [p.values["nc_year"] for p in parsed.pupils] == ["0", "1", "2", "3", "R", "5", "6", "0", "1", "2"]
