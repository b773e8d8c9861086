"""Reading returned SRP workbooks: row issues, Excel oddities and quarantined files.

Test workbooks are written with the template writer, then edited with openpyxl the way a
school (or Excel) would change them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import openpyxl
import pytest

from orchestration.returns.model import example_return, example_upn
from orchestration.returns.reader import (
    ReturnIssue,
    ReturnStructureError,
    check_return_context,
    read_return_workbook,
)
from orchestration.returns.template import write_return_workbook

ENGINES = ["calamine", "openpyxl"]


@pytest.fixture(scope="module")
def clean_return(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "clean.xlsx"
    write_return_workbook(path, example_return(10))
    return path


@pytest.fixture
def edit(clean_return, tmp_path):
    """edit({"Pupils": {"H5": "ninety"}}) -> path of a copy with those cells changed."""

    def apply(changes: dict[str, dict[str, object]], change_workbook=None):
        path = tmp_path / "edited.xlsx"
        shutil.copy(clean_return, path)
        workbook = openpyxl.load_workbook(path)
        for sheet, cells in changes.items():
            for address, value in cells.items():
                workbook[sheet][address] = value
        if change_workbook:
            change_workbook(workbook)
        workbook.save(path)
        return path

    return apply


def only_issue(path, engine) -> ReturnIssue:
    parsed = read_return_workbook(path, engine=engine)
    assert len(parsed.issues) == 1, parsed.issues
    return parsed.issues[0]


# --- cell rules ----------------------------------------------------------------------------

CELL_CASES = {
    "text in number cell": (
        "H5", "ninety", "not_a_number", "Attendance %",
        "Pupils!H5: Attendance % 'ninety' is not a number between 0 and 100"),
    "unknown designation": (
        "C6", "AUT", "unknown_code", "Designation",
        "Pupils!C6: Designation 'AUT' is not one of the codes in the drop-down (SPLD, MLD, "
        "SLD, PMLD, SEMH, SLCN, HI, VI, MSI, PD, ASD, DS, OTH)"),
    "percentage 150": (
        "G7", 150, "out_of_range", "% of timetable in mainstream classes",
        "Pupils!G7: % of timetable in mainstream classes '150' is not a number between 0 "
        "and 100"),
    "negative suspension days": (
        "I8", -2, "out_of_range", "Suspension days",
        "Pupils!I8: Suspension days '-2' is not a number between 0 and 190"),
    "invalid UPN check letter": (
        "A9", "B886000000005", "invalid_upn", "UPN",
        "Pupils!A9: UPN 'B886000000005' is not a valid UPN (a check letter then 12 digits, "
        "with the right check letter)"),
    "impossible date": (
        "K10", "31/02/2024", "invalid_date", "Annual review held (date)",
        "Pupils!K10: Annual review held (date) '31/02/2024' is not a date between 2000 and "
        "2100 written dd/mm/yyyy, e.g. 01/09/2024"),
    "date before 2000": (
        "K10", dt.date(1999, 12, 31), "out_of_range", "Annual review held (date)",
        "Pupils!K10: Annual review held (date) '1999-12-31' is not a date between 2000 and "
        "2100 written dd/mm/yyyy, e.g. 01/09/2024"),
    "NC year 15": (
        "B4", 15, "out_of_range", "NC year",
        "Pupils!B4: NC year '15' is not an NC year (R or 0 for Reception, 1 to 14)"),
    "flag not Y/N": (
        "J11", "maybe", "unknown_code", "Permanent exclusion (Y/N)",
        "Pupils!J11: Permanent exclusion (Y/N) 'maybe' is not Y or N"),
    "formula error": (
        "H12", "#REF!", "formula_error", "Attendance %",
        "Pupils!H12: Attendance % shows the Excel error #REF!; type the value itself instead"),
    "division by zero": (
        "G12", "#DIV/0!", "formula_error", "% of timetable in mainstream classes",
        "Pupils!G12: % of timetable in mainstream classes shows the Excel error #DIV/0!; "
        "type the value itself instead"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CELL_CASES, ids=list(CELL_CASES))
def test_cell_rule(edit, engine, case):
    address, value, rule, column, message = CELL_CASES[case]
    issue = only_issue(edit({"Pupils": {address: value}}), engine)
    row = int(address[1:])
    assert (issue.sheet, issue.row, issue.column, issue.rule, issue.severity) == (
        "Pupils", row, column, rule, "error")
    assert issue.message == message


def test_cell_messages_are_worded_by_the_rule_catalogue(edit, monkeypatch):
    """Each cell rule's text lives once, in orchestration/problems.py: rewording a rule there
    rewords the reader's message (and the advice beside it in the feedback comes from the
    same entry)."""
    from orchestration import problems

    for rule in problems.RULES.values():
        for variant in rule.what:
            monkeypatch.setitem(rule.what, variant, f"<{rule.name}:{variant}>")
    path = edit({"Pupils": {address: value for address, value, *_ in CELL_CASES.values()
                            if address not in ("K10", "G12")}})
    messages = [issue.message for issue in read_return_workbook(path).issues]
    worded = {message[message.index("<"):] for message in messages}
    assert worded == {"<not_a_number:number_between>", "<unknown_code:code>",
                      "<out_of_range:number_between>", "<invalid_upn:upn>",
                      "<out_of_range:nc_year>", "<unknown_code:flag>", "<formula_error:default>"}


@pytest.mark.parametrize("engine", ENGINES)
def test_formula_whose_cached_value_is_an_error(edit, tmp_path, engine):
    """As Excel saves it: the formula and its cached error value in one cell."""
    source = edit({"Pupils": {"H12": "#REF!"}})
    path = tmp_path / "formula.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as rewritten:
        for name in original.namelist():
            data = original.read(name)
            if name == "xl/worksheets/sheet4.xml":  # Pupils
                data = data.replace(b"<v>#REF!</v>", b"<f>H11/0</f><v>#DIV/0!</v>")
            rewritten.writestr(name, data)
    issue = only_issue(path, engine)
    assert (issue.row, issue.rule, issue.value) == (12, "formula_error", "#DIV/0!")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_error_rejects_its_row_but_keeps_the_value_as_landed(edit, engine):
    parsed = read_return_workbook(edit({"Pupils": {"H5": "ninety"}}), engine=engine)
    assert parsed.rejected_rows() == {("Pupils", 5)}
    assert parsed.pupils[1].values["attendance_pct"] == "ninety"
    assert len(parsed.pupils) == 10


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_destination(edit, engine):
    issue = only_issue(edit({"Pupils": {"E7": dt.date(2025, 3, 1), "F7": "college"}}), engine)
    assert (issue.row, issue.column, issue.rule) == (7, "Destination if left", "unknown_code")
    assert issue.message.startswith("Pupils!F7: Destination if left 'college' is not one of "
                                    "the codes in the drop-down (secondary SRP, mainstream,")


@pytest.mark.parametrize("engine", ENGINES)
def test_text_in_places_and_finance(edit, engine):
    path = edit({"Places": {"D5": "two"}, "Finance": {"B5": "TBC"}})
    issues = read_return_workbook(path, engine=engine).issues
    assert [(i.sheet, i.row, i.rule, i.message) for i in issues] == [
        ("Places", 5, "not_a_number",
         "Places!D5: Pupils on roll without an EHCP (assessment places) 'two' is not a whole "
         "number of 0 or more"),
        ("Finance", 5, "not_a_number",
         "Finance!B5: Income: top-up 'TBC' is not a number of 0 or more"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_what_schools_type_that_is_accepted(edit, engine):
    path = edit({"Pupils": {
        "H5": " 95 ",  # number stored as text, with spaces
        "K5": "01/09/2024",  # date typed as text
        "E6": "2025-07-01", "F6": "Mainstream ",  # ISO date; code in another case
        "J6": "no",  # contract flag spelling
        "B6": "R",  # Reception
        "I6": "   ",  # only spaces: blank
    }, "Finance": {"B4": "1200.50"}})
    parsed = read_return_workbook(path, engine=engine)
    assert parsed.issues == []
    second, third = parsed.pupils[1].values, parsed.pupils[2].values
    assert (second["attendance_pct"], second["annual_review_date"]) == ("95", "01/09/2024")
    assert (third["destination"], third["nc_year"], third["suspension_days"]) == (
        "Mainstream", "R", None)
    assert parsed.finance.values["income_place_funding"] == "1200.50"


@pytest.mark.parametrize("engine", ENGINES)
def test_number_text_with_symbols_is_not_a_number(edit, engine):
    # silver casts the landed text with SQL, so "£1,200" must be fixed at source
    path = edit({"Pupils": {"G5": "40%", "H5": "nan"}, "Finance": {"B4": "£1,200",
                                                                   "B5": "1_000"}})
    issues = read_return_workbook(path, engine=engine).issues
    assert [(i.sheet, i.rule, i.value) for i in issues] == [
        ("Pupils", "not_a_number", "40%"), ("Pupils", "not_a_number", "nan"),
        ("Finance", "not_a_number", "£1,200"), ("Finance", "not_a_number", "1_000")]


@pytest.mark.parametrize("engine", ENGINES)
def test_date_typed_with_a_time_lands_as_the_date(edit, engine):
    def date_time_format(workbook):
        workbook["Pupils"]["K5"].number_format = "dd/mm/yyyy hh:mm"

    path = edit({"Pupils": {"K5": dt.datetime(2025, 3, 4, 10, 30)}}, date_time_format)
    parsed = read_return_workbook(path, engine=engine)
    assert parsed.issues == []
    assert parsed.pupils[1].values["annual_review_date"] == "2025-03-04"


@pytest.mark.parametrize("engine", ENGINES)
def test_percentage_typed_as_a_fraction_is_a_warning(edit, engine):
    issue = only_issue(edit({"Pupils": {"H5": 0.95}}), engine)
    assert (issue.rule, issue.severity, issue.message) == (
        "looks_like_fraction", "warning",
        "Pupils!H5: Attendance % '0.95' looks like a fraction: type percentages as 0 to 100, "
        "e.g. 95 for 95%")


@pytest.mark.parametrize("engine", ENGINES)
def test_required_pupil_fields(edit, engine):
    issue = only_issue(edit({"Pupils": {"A13": None}}), engine)
    assert (issue.row, issue.column, issue.rule, issue.severity) == (13, "UPN", "required",
                                                                     "error")
    assert issue.message == "Pupils!A13: UPN is blank; fill it in or clear the whole row"


@pytest.mark.parametrize("engine", ENGINES)
def test_blank_details_fields_are_warnings(edit, engine):
    issues = read_return_workbook(edit({"Details": {"B7": None, "B8": " "}}),
                                  engine=engine).issues
    assert [(i.row, i.rule, i.severity, i.message) for i in issues] == [
        (7, "required", "warning", "Details!B7: Contact role is blank; please fill it in"),
        (8, "required", "warning", "Details!B8: Date completed is blank; please fill it in"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_pupil_cross_checks_are_warnings(edit, engine):
    path = edit({"Pupils": {
        "E4": dt.date(2025, 2, 1),  # left, no destination
        "F5": "mainstream",  # destination, no date left
        "E6": dt.date(2000, 1, 1), "F6": "other",  # left before joining
        "A7": example_upn(0),  # same UPN as row 4
    }})
    issues = read_return_workbook(path, engine=engine).issues
    assert all(i.severity == "warning" for i in issues)
    assert [(i.row, i.rule, i.message) for i in issues] == [
        (4, "required", "Pupils!F4: Destination if left is blank but the pupil left the SRP; "
                        "choose where they went"),
        (5, "inconsistent", "Pupils!E5: Date left SRP is blank but a destination is given; "
                            "add the date they left"),
        (6, "inconsistent", "Pupils!E6: Date left SRP 01/01/2000 is before Date joined SRP "
                            "03/09/2022"),
        (7, "duplicate_upn", "Pupils!A7: this UPN is also on row 4; check the pupil is not "
                             "listed twice"),
    ]


# --- layout oddities -----------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_blank_rows_between_pupils_and_rows_added_below(edit, engine):
    extra = {"A40": example_upn(500), "B40": 3, "C40": "HI", "D40": dt.date(2024, 9, 2)}
    path = edit({"Pupils": {"A8": None, "B8": None, "C8": None, "D8": None, "E8": None,
                            "F8": None, "G8": None, "H8": None, "I8": None, "J8": None,
                            "K8": None, **extra}})
    parsed = read_return_workbook(path, engine=engine)
    assert parsed.issues == []
    assert [row.row for row in parsed.pupils] == [4, 5, 6, 7, 9, 10, 11, 12, 13, 40]
    assert parsed.pupils[-1].values["designation"] == "HI"


@pytest.mark.parametrize("engine", ENGINES)
def test_merged_cells_do_not_crash(edit, engine):
    def merge(workbook):
        workbook["Pupils"].merge_cells("H5:I5")
        workbook["Outcomes"].merge_cells("C4:D6")

    parsed = read_return_workbook(edit({"Pupils": {"H5": 91}}, merge), engine=engine)
    assert parsed.issues == []
    assert (parsed.pupils[1].values["attendance_pct"],
            parsed.pupils[1].values["suspension_days"]) == ("91", None)


@pytest.mark.parametrize("engine", ENGINES)
def test_untouched_prefilled_rows_are_valid(tmp_path, engine):
    blank = example_return(3)
    for pupil in blank.pupils:
        for name in ("date_left", "destination", "pct_timetable_mainstream",
                     "attendance_pct", "suspension_days", "permanent_exclusion",
                     "annual_review_date"):
            setattr(pupil, name, None)
    path = tmp_path / "prefilled.xlsx"
    write_return_workbook(path, blank)
    parsed = read_return_workbook(path, engine=engine)
    assert parsed.issues == []
    assert len(parsed.pupils) == 3


# --- structure: the whole file is quarantined ----------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_renamed_sheet(edit, engine):
    def rename(workbook):
        workbook["Pupils"].title = "Pupil list"

    with pytest.raises(ReturnStructureError) as raised:
        read_return_workbook(edit({}, rename), engine=engine)
    assert raised.value.rule == "missing_sheet"
    assert raised.value.reason == (
        "the workbook has no 'Pupils' sheet (its sheets are: Instructions, Details, Places, "
        "Pupil list, Finance, Outcomes, Lists); sheets must not be renamed or deleted")


@pytest.mark.parametrize("engine", ENGINES)
def test_changed_header(edit, engine):
    with pytest.raises(ReturnStructureError) as raised:
        read_return_workbook(edit({"Pupils": {"H3": "Attendance"}}), engine=engine)
    assert raised.value.rule == "changed_headers"
    assert raised.value.reason == (
        "the Pupils sheet has been changed: cell H3 should say 'Attendance %' but says "
        "'Attendance'; use the council's template without changing its headings")


@pytest.mark.parametrize("engine", ENGINES)
def test_old_template_version(edit, engine):
    with pytest.raises(ReturnStructureError) as raised:
        read_return_workbook(edit({"Details": {"B9": "0.9"}}), engine=engine)
    assert raised.value.rule == "unknown_template"
    assert raised.value.reason == (
        "template version 0.9 is not supported (this return must use version 1.0): copy your "
        "answers into the current template and send that")


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_template_version(edit, engine):
    with pytest.raises(ReturnStructureError, match="has no template version"):
        read_return_workbook(edit({"Details": {"B9": None}}), engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_renamed_to_xlsx(tmp_path, engine):
    path = tmp_path / "return.xlsx"
    path.write_bytes(b"upn,nc_year,designation\r\nV886000000000,3,ASD\r\n")
    with pytest.raises(ReturnStructureError, match="^this is not an Excel .xlsx") as raised:
        read_return_workbook(path, engine=engine)
    assert raised.value.rule == "not_a_workbook"


@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_workbook(clean_return, tmp_path, engine):
    path = tmp_path / "cut.xlsx"
    data = clean_return.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReturnStructureError, match="^the workbook is damaged") as raised:
        read_return_workbook(path, engine=engine)
    assert raised.value.rule == "damaged_workbook"


@pytest.mark.parametrize("engine", ENGINES)
def test_password_protected_workbook(tmp_path, engine):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    with pytest.raises(ReturnStructureError, match="^the workbook is password prot") as raised:
        read_return_workbook(path, engine=engine)
    assert raised.value.rule == "password_protected"
    assert "old Excel 97-2003 .xls file" in raised.value.reason


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ReturnStructureError, match="^the file is empty$"):
        read_return_workbook(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a workbook")
    for engine in ENGINES:
        with pytest.raises(ReturnStructureError, match="^the workbook could not be read"):
            read_return_workbook(path, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_file_name_does_not_matter(clean_return, tmp_path, engine):
    renamed = tmp_path / "SRP return FINAL v2 (1).XLSX.download"
    shutil.copy(clean_return, renamed)
    assert read_return_workbook(renamed, engine=engine).issues == []


# --- context: does the return belong in this folder? ------------------------------------

def test_wrong_year_for_the_folder(tmp_path):
    path = tmp_path / "old.xlsx"
    write_return_workbook(path, example_return(2, academic_year="2023/24"))
    parsed = read_return_workbook(path)
    assert parsed.issues == []
    issues = check_return_context(parsed, "2024-25", file_urn_hint=None)
    assert issues == [ReturnIssue(
        "Details", 6, "Academic year", "2023/24", "wrong_year",
        "Details!B6: return for 2023/24 found in the 2024-25 folder; it should be the "
        "2024/25 return", cell="Details!B6")]
    assert check_return_context(parsed, "2023/24", None) == []


def test_urn_checks(edit):
    parsed = read_return_workbook(edit({"Details": {"B4": "11800"}}))
    assert [(i.rule, i.message) for i in check_return_context(parsed, "2024-25", None)] == [
        ("invalid_urn", "Details!B4: URN '11800' is not a 6-digit URN")]
    parsed = read_return_workbook(edit({}))
    assert check_return_context(parsed, "2024-25", "118000") == []
    [issue] = check_return_context(parsed, "2024-25", "118001")
    assert (issue.rule, issue.severity, issue.message) == (
        "urn_mismatch", "error",
        "Details!B4: this is the return for URN 118000 but it was sent as URN 118001; check "
        "it is the right school's return")


# --- scale ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_100k_pupil_rows(tmp_path):
    path = tmp_path / "big.xlsx"
    write_return_workbook(path, example_return(100_000))
    parsed = read_return_workbook(path)
    assert len(parsed.pupils) == 100_000
    assert parsed.issues == []

