"""School return workbooks: registration, quarantine and the bronze return tables.

Cases (part of the bad-input corpus, see also test_ingest_synergy.py and
test_ingest_csv_sources.py):

R1  valid return -> submission 'valid', rows in places/pupils/finance/outcomes, received_at
    is the file's mtime (UTC), _academic_year from the folder
R2  an .xlsx that is not a workbook (CSV renamed) -> quarantined not_a_workbook
R3  password-protected workbook (OLE2 magic) -> quarantined password_protected
R4  a sheet renamed -> quarantined missing_sheet
R5  Excel formula error in a cell -> formula_error, that row rejected, submission invalid
R6  return for the wrong year in a year folder -> wrong_year, submission invalid
R7  text typed in a number cell -> not_a_number, that Places row rejected
R8  invalid UPN -> invalid_upn; value kept in load_errors, withheld from the message
R9  same bytes under another name -> duplicate (no second submission)
R10 corrected resubmission under the same name -> new submission, old version superseded
R11 workbook outside a YYYY-YY folder -> quarantined bad_folder_name
R12 empty file -> quarantined empty_file
R13 idempotency: a second run adds nothing
R14 a return with many pupil rows (300 here) loads every row; 100k rows (slow) are read by
    the reader but quarantined by the ingest limits
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import openpyxl
import pytest

from ingest_corpus.builders import (
    assert_registry_balanced, connect, load_errors, registry, rows, table_count, upn,
)
from orchestration.ingest import ingest_school_returns
from orchestration.returns.model import Finance, Outcomes, PlacesRow, PupilRow, SchoolReturn
from orchestration.returns.template import write_return_workbook

YEAR_DIR = "school_returns/2024-25"


@pytest.fixture
def env(tmp_path):
    landing = tmp_path / "landing"
    (landing / YEAR_DIR).mkdir(parents=True)
    return connect(), landing, tmp_path / "archive"


def run(env):
    con, landing, archive = env
    summary = ingest_school_returns(con, landing, archive)
    assert_registry_balanced(con)
    return summary


def school_return(pupils: int = 2, **over) -> SchoolReturn:
    values = dict(
        urn="118000", school_name="Sandgate Primary School", academic_year="2024/25",
        contact_role="SENCo", date_completed=dt.date(2025, 7, 1),
        places=[PlacesRow("ASD", 15, 12, 1, 2, 5), PlacesRow("SLCN", 8, 8, 0, 0, 3)],
        pupils=[PupilRow(upn(i + 1), 5, "ASD", dt.date(2023, 9, 1), attendance_pct=95.5,
                         permanent_exclusion="N", prefilled=True) for i in range(pupils)],
        finance=Finance(income_place_funding=150000, income_top_up=90000, fte_teachers=1.5),
        outcomes=Outcomes(outreach_sessions=4, pct_parents_satisfied=92),
    )
    return SchoolReturn(**{**values, **over})


def land_return(env, name: str, ret: SchoolReturn | None = None, folder: str = YEAR_DIR):
    path = env[1] / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_return_workbook(path, ret or school_return())
    return path


def edit_cells(path, sheet: str, cells: dict) -> None:
    book = openpyxl.load_workbook(path)
    for address, value in cells.items():
        book[sheet][address] = value
    book.save(path)


def submissions(con):
    return rows(con, "SELECT * FROM bronze.return_submissions ORDER BY _source_file, _loaded_at")


def test_valid_return_loads_every_sheet(env):
    con, _, _ = env
    path = land_return(env, "sandgate.xlsx")
    stamp = dt.datetime(2025, 7, 2, 9, 30, tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))
    summary = run(env)
    assert (summary.files_loaded, summary.errors, summary.rows_loaded) == (1, 0, 6)
    [sub] = submissions(con)
    assert (sub["status"], sub["urn"], sub["academic_year"], sub["_academic_year"]) == (
        "valid", "118000", "2024/25", "2024/25")
    assert sub["date_completed"] == "2025-07-01" and sub["template_version"] == "1.0"
    assert sub["received_at"] == dt.datetime(2025, 7, 2, 9, 30)
    assert (sub["error_count"], sub["warning_count"]) == (0, 0)
    places = rows(con, "SELECT * FROM bronze.return_places ORDER BY _row_number")
    assert [(p["designation"], p["pupils_with_ehcp"], p["_row_number"], p["_sheet"])
            for p in places] == [("ASD", "12", 4, "Places"), ("SLCN", "8", 5, "Places")]
    assert table_count(con, "return_pupils") == 2
    [finance] = rows(con, "SELECT * FROM bronze.return_finance")
    assert finance["income_place_funding"] == "150000" and finance["fte_teachers"] == "1.5"
    assert finance["_row_number"] is None and finance["_sha256"] == sub["_sha256"]
    [reg] = registry(con)
    assert (reg["rows_landed"], reg["rows_loaded"], reg["rows_rejected"]) == (6, 6, 0)


@pytest.mark.parametrize("name, data, rule, reason", [
    ("renamed.xlsx", b"urn,school\n118000,x\n", "not_a_workbook",
     "this is not an Excel .xlsx workbook (it may be a CSV or another file renamed to .xlsx):"
     " fill in the council's template and save it as .xlsx"),
    ("locked.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504, "password_protected",
     "the workbook is password protected (or is an old Excel 97-2003 .xls file): remove the"
     " password and save it as an Excel .xlsx workbook, then send it again"),
    ("empty.xlsx", b"", "empty_file", "the file is empty"),
])
def test_unreadable_files_are_quarantined(env, name, data, rule, reason):
    con, landing, _ = env
    (landing / YEAR_DIR / name).write_bytes(data)
    summary = run(env)
    assert summary.files_quarantined == 1
    [error] = load_errors(con)
    assert (error["rule"], error["severity"]) == (rule, "error")
    assert error["message"] == f"{YEAR_DIR}/{name}: {reason}"
    [sub] = submissions(con)
    assert (sub["status"], sub["urn"], sub["status_reason"]) == ("quarantined", None,
                                                                 error["message"])
    [reg] = registry(con)
    assert (reg["status"], reg["rows_landed"]) == ("quarantined", 0) and reg["archived_path"]


def test_renamed_sheet_is_quarantined(env):
    con, _, _ = env
    path = land_return(env, "renamed_sheet.xlsx")
    book = openpyxl.load_workbook(path)
    book["Pupils"].title = "Our pupils"
    book.save(path)
    run(env)
    [error] = load_errors(con)
    assert error["rule"] == "missing_sheet"
    assert error["message"].startswith(f"{YEAR_DIR}/renamed_sheet.xlsx: the workbook has no"
                                       " 'Pupils' sheet")


def test_formula_error_rejects_its_row(env):
    con, _, _ = env
    path = land_return(env, "formula.xlsx")
    edit_cells(path, "Pupils", {"H5": "#DIV/0!"})
    summary = run(env)
    [error] = load_errors(con)
    assert (error["rule"], error["sheet"], error["row_number"], error["column_name"],
            error["value"]) == ("formula_error", "Pupils", 5, "Attendance %", "#DIV/0!")
    assert error["message"] == (f"{YEAR_DIR}/formula.xlsx Pupils!H5: Attendance % shows the"
                                " Excel error #DIV/0!; type the value itself instead")
    assert summary.rows_rejected == 1 and table_count(con, "return_pupils") == 1
    assert submissions(con)[0]["status"] == "invalid"


def test_wrong_year_makes_the_return_invalid(env):
    con, _, _ = env
    land_return(env, "last_year.xlsx", school_return(academic_year="2023/24"))
    run(env)
    [error] = load_errors(con)
    assert (error["rule"], error["sheet"], error["column_name"], error["value"]) == (
        "wrong_year", "Details", "Academic year", "2023/24")
    assert error["message"] == (f"{YEAR_DIR}/last_year.xlsx Details!B6: return for 2023/24"
                                " found in the 2024-25 folder; it should be the 2024/25 return")
    [sub] = submissions(con)
    assert (sub["status"], sub["error_count"], sub["academic_year"], sub["_academic_year"]) == (
        "invalid", 1, "2023/24", "2024/25")


def test_text_in_number_cell_and_bad_upn(env):
    con, _, _ = env
    bad_upn = "A123"
    ret = school_return()
    ret.places[1].pupils_with_ehcp = "eight"
    ret.pupils[0].upn = bad_upn
    land_return(env, "typos.xlsx", ret)
    summary = run(env)
    upn_error, number_error = sorted(load_errors(con), key=lambda e: e["sheet"] != "Pupils")
    assert (number_error["rule"], number_error["sheet"], number_error["row_number"],
            number_error["value"]) == ("not_a_number", "Places", 5, "eight")
    assert (upn_error["rule"], upn_error["value"], upn_error["personal"]) == ("invalid_upn",
                                                                              bad_upn, True)
    assert bad_upn not in upn_error["message"]
    assert [p["designation"] for p in rows(con, "SELECT * FROM bronze.return_places")] == ["ASD"]
    assert table_count(con, "return_pupils") == 1
    assert (summary.rows_loaded, summary.rows_rejected) == (4, 2)


def test_duplicate_resubmission_and_idempotency(env):
    con, landing, _ = env
    path = land_return(env, "sandgate.xlsx")
    shutil.copyfile(path, landing / YEAR_DIR / "sandgate (1).xlsx")
    summary = run(env)
    assert (summary.files_loaded, summary.files_duplicate) == (1, 1)
    assert len(submissions(con)) == 1
    assert run(env).files_unchanged == 2 and table_count(con, "return_pupils") == 2
    land_return(env, "sandgate.xlsx", school_return(pupils=3, date_completed=dt.date(2025, 7, 9)))
    summary = run(env)
    assert summary.files_loaded == 1
    subs = submissions(con)
    assert [s["date_completed"] for s in subs] == ["2025-07-01", "2025-07-09"]
    old, new = registry(con, f"{YEAR_DIR}/sandgate.xlsx")
    assert old["superseded_by_sha256"] == new["sha256"]
    assert table_count(con, "return_pupils") == 5  # both versions kept; dbt picks the latest


def test_return_outside_a_year_folder(env):
    con, _, _ = env
    land_return(env, "loose.xlsx", folder="school_returns")
    run(env)
    [error] = load_errors(con)
    assert error["rule"] == "bad_folder_name"
    assert error["message"] == ("school_returns/loose.xlsx: returns must be in a folder named by"
                                " academic year, e.g. school_returns/2024-25/; move it there and"
                                " it will be loaded")


def test_many_pupil_rows(env):
    con, _, _ = env
    land_return(env, "big.xlsx", school_return(pupils=300))
    summary = run(env)
    assert summary.errors == 0 and table_count(con, "return_pupils") == 300


@pytest.mark.slow
def test_100k_pupil_rows_are_read_but_over_the_ingest_limit(env, tmp_path):
    """The reader itself copes with 100k rows; ingestion quarantines a workbook that big (an
    SRP has tens of pupils; the limits are in orchestration/returns/guard.py)."""
    from orchestration.returns.reader import read_return_workbook

    con, landing, _ = env
    land_return(env, "huge.xlsx", school_return(pupils=100_000))
    assert len(read_return_workbook(landing / YEAR_DIR / "huge.xlsx").pupils) == 100_000
    summary = run(env)
    assert (summary.files_quarantined, table_count(con, "return_pupils")) == (1, 0)
    assert [e["rule"] for e in load_errors(con)] == ["declared_dimension_too_large"]


def test_a_batch_keeps_every_column_when_its_first_workbook_was_quarantined(env):
    """Workbooks are stored in batches: a quarantined one (few columns) stored first must not
    narrow the columns of the valid returns stored with it."""
    con, landing, _ = env
    (landing / "school_returns" / "blank.xlsx").write_bytes(b"")  # sorted first, quarantined
    land_return(env, "sandgate.xlsx")
    summary = run(env)
    assert (summary.files_quarantined, summary.files_loaded) == (1, 1)
    by_file = {s["_source_file"]: s for s in submissions(con)}
    assert by_file[f"{YEAR_DIR}/sandgate.xlsx"]["urn"] == "118000"
    assert by_file[f"{YEAR_DIR}/sandgate.xlsx"]["school_name"] == "Sandgate Primary School"
    assert by_file["school_returns/blank.xlsx"]["status"] == "quarantined"


def test_every_workbook_problem_names_its_cell_in_load_errors(env):
    """bronze.load_errors.cell (Sheet!A1) is data: the feedback reads it, never the message."""
    con, _, _ = env
    path = land_return(env, "cells.xlsx", school_return(academic_year="2023/24"))
    edit_cells(path, "Pupils", {"H5": "#DIV/0!"})
    ret = school_return()
    ret.places[1].pupils_with_ehcp = "eight"
    land_return(env, "typos.xlsx", ret)
    land_return(env, "elsewhere.xlsx", folder="school_returns")
    run(env)
    found = {(e["source_file"].rsplit("/", 1)[-1], e["rule"]): e["cell"] for e in load_errors(con)}
    assert found == {
        ("cells.xlsx", "formula_error"): "Pupils!H5",
        ("cells.xlsx", "wrong_year"): "Details!B6",
        ("typos.xlsx", "not_a_number"): "Places!C5",
        ("elsewhere.xlsx", "bad_folder_name"): None,  # a whole-file problem has no cell
    }


def test_an_older_load_errors_table_gains_cell_filled_for_returns_already_loaded(env):
    """A warehouse from before the column: ensure_bronze_schema adds it and, once, takes the
    cell of workbook problems already recorded from their message (those files are not read
    again); CSV problems stay without a cell."""
    from orchestration.ingest.schema import ensure_bronze_schema

    con, _, _ = env
    con.execute("CREATE SCHEMA bronze")
    con.execute("CREATE TABLE bronze.load_errors (source VARCHAR, source_file VARCHAR,"
                " sha256 VARCHAR, sheet VARCHAR, row_number INTEGER, message VARCHAR)")
    con.execute("INSERT INTO bronze.load_errors VALUES"
                " ('school_returns', 'school_returns/2024-25/a b!.xlsx', 'x', 'Pupils', 5,"
                "  'school_returns/2024-25/a b!.xlsx Pupils!H5: Attendance % shows #DIV/0!'),"
                " ('school_returns', 'school_returns/x.xlsx', 'y', NULL, NULL,"
                "  'school_returns/x.xlsx: returns must be in a folder named by academic year'),"
                " ('synergy', 'synergy/2025-10-01/person.csv', 'z', NULL, 7,"
                "  'synergy/2025-10-01/person.csv row 7, column upn: the value is not a UPN')")
    ensure_bronze_schema(con)
    ensure_bronze_schema(con)  # idempotent
    assert rows(con, "SELECT source, cell FROM bronze.load_errors ORDER BY source, cell") == [
        {"source": "school_returns", "cell": "Pupils!H5"},
        {"source": "school_returns", "cell": None},
        {"source": "synergy", "cell": None}]
