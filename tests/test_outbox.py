"""The school outbox: pre-filled return templates and feedback files.

One small sample landing WITH defects (scale 0.02, seed 7: 7 SRP schools, 36 returns) is
ingested into a temporary warehouse and dbt builds the silver/gold models the feedback reads.
Expected pupils are worked out here from the landed CSVs (not with the code under test); the
defects to look for come from the generator's manifest (SAMPLE_DATA.json).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.contract import academic_year_folder
from orchestration.ingest import (
    ingest_gias, ingest_school_returns, ingest_srp_register, ingest_synergy,
)
from orchestration.outbox.feedback import MARKING, build_feedback, feedback_paths, write_feedback
from orchestration.outbox.placed_pupils import PlacedPupil
from orchestration.pseudonymise import DEV_KEY
from orchestration.outbox.templates import (
    _pupil_row, coming_academic_year, template_path, write_templates,
)
from orchestration.returns import layout
from orchestration.returns.reader import read_return_workbook
from tests.conftest import run_dbt

COMING_YEAR = "2025/26"  # the sample register's last year (returns run to 2024/25)
UPN_TEXT = re.compile(r"\b[A-Z]\d{12}\b")
NOT_A_WORKBOOK = "our return.xlsx"
OUTSIDE_A_YEAR = "blank.xlsx"
RETURNS = 38  # 36 generated (7 schools x 5 years, a resubmission) and the two above


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from orchestration.sample_data import generate

    root = tmp_path_factory.mktemp("outbox")
    landing = root / "landing"
    manifest = generate(landing, scale=0.02, seed=7, defects=True)
    # two returns that cannot be read: a CSV saved as .xlsx, and an empty file outside a year
    (landing / "school_returns" / "2024-25" / NOT_A_WORKBOOK).write_text("urn,year\n1,2\n")
    (landing / "school_returns" / OUTSIDE_A_YEAR).write_bytes(b"")
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for ingest in (ingest_synergy, ingest_gias, ingest_srp_register, ingest_school_returns):
            ingest(con, landing, root / "archive")
    result = run_dbt(
        root, "build", "--select", "+silver_return_submission", "+srp_returns_reconciliation",
        "--exclude", "resource_type:test", env={**os.environ, "SEND_LANDING_DIR": str(landing)},
    )
    assert result.returncode == 0, result.stdout[-5000:]
    out = root / "outbox"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        year = coming_academic_year(con)
        templates = write_templates(con, out, year, DEV_KEY).files
        feedback = build_feedback(con, DEV_KEY)
        feedback_files = write_feedback(con, out, DEV_KEY).files
        reconciliation = {(f, sha): counts for f, sha, *counts in con.execute("""
            select source_file, submission_id,
                   sum(in_council_records * (1 - in_return)),
                   sum(in_return * (1 - in_council_records)),
                   sum(designation_mismatch), sum(nc_year_mismatch)
            from silver.silver_return_pupil_reconciliation
            where upn_key is not null
            group by all
        """).fetchall()}
        gold = con.execute("""
            select urn, academic_year, pupils_only_in_synergy, pupils_only_in_return,
                   designation_mismatches, nc_year_mismatches
            from gold.srp_returns_reconciliation
            where level = 'school' and schools_with_current_return = 1
        """).fetchall()
    defects = defaultdict(list)
    for entry in manifest["defects"]:
        defects[entry["defect"]].append(entry)
    return dict(landing=landing, out=out, year=year, templates=templates, feedback=feedback,
                feedback_files=feedback_files, defects=defects, gold=gold,
                reconciliation=reconciliation)


# --- expectations from the landed CSVs ----------------------------------------------------

def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def uk_date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text.strip() else None


def placed_upns(landing: Path, start: int) -> dict[str, set[str]]:
    """UPNs placed (resourced provision) at each registered SRP school at any time during the
    year, from the latest Synergy extract and that year's register file."""
    extract = max(p for p in (landing / "synergy").iterdir() if (p / "_SUCCESS").exists())
    register = read_csv(
        landing / "srp_register" / f"srp_register_{academic_year_folder(start)}.csv")
    schools = {row["urn"] for row in register}
    person_of_plan = {r["plan_id"]: r["person_id"] for r in read_csv(extract / "named_plan.csv")}
    upn_of_person = {r["person_id"]: r["upn"] for r in read_csv(extract / "person.csv")}
    first, last = dt.date(start, 9, 1), dt.date(start + 1, 8, 31)
    found = defaultdict(set)
    for row in read_csv(extract / "placement.csv"):
        joined, left = uk_date(row["entry_date"]), uk_date(row["leaving_date"])
        if (row["resourced_provision_indicator"] == "Y" and row["urn"] in schools
                and joined <= last and (left is None or left > first)):
            found[row["urn"]].add(upn_of_person[person_of_plan[row["plan_id"]]])
    return found


def cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [row for row in ws.iter_rows(values_only=True)] for ws in book}


def feedback_for(sample, source_file: str):
    matches = [(f, p) for f, p in zip(sample["feedback"], sample["feedback_files"])
               if f.submission.source_file == source_file]
    assert len(matches) == 1, source_file
    return matches[0]


def summary_value(sheets: dict, label: str):
    return next(row[1] for row in sheets["Summary"] if row[0] == label)


def text_of(sheets: dict) -> str:
    return "\n".join(" | ".join(str(v) for v in row if v is not None)
                     for rows in sheets.values() for row in rows)


# --- templates ----------------------------------------------------------------------------

def test_coming_year_is_the_latest_register_year(sample):
    assert sample["year"] == COMING_YEAR


def test_a_template_per_srp_school(sample):
    register = read_csv(sample["landing"] / "srp_register" / "srp_register_2025-26.csv")
    urns = sorted({row["urn"] for row in register})
    assert len(urns) == 7
    assert sample["templates"] == [template_path(sample["out"], COMING_YEAR, u) for u in urns]
    assert [p.name for p in sample["templates"]][0] == f"{urns[0]}_2025-26_SRP_return.xlsx"
    assert all(p.parent == sample["out"] / "templates" / "2025-26" for p in sample["templates"])


def test_unchanged_templates_read_back_without_errors(sample):
    register = read_csv(sample["landing"] / "srp_register" / "srp_register_2025-26.csv")
    for path in sample["templates"]:
        parsed = read_return_workbook(path)
        assert parsed.errors == [], path.name
        urn = parsed.details.values["urn"]
        assert path.name.startswith(urn)
        assert parsed.details.values["academic_year"] == COMING_YEAR
        assert {(r.values["designation"], r.values["commissioned_places"]) for r in parsed.places} \
            == {(r["designation"], r["commissioned_places"]) for r in register if r["urn"] == urn}


def test_prefilled_pupils_are_exactly_the_schools_placements(sample):
    expected = placed_upns(sample["landing"], 2025)
    assert sum(len(upns) for upns in expected.values()) == 17  # the sample's 2025/26 pupils
    for path in sample["templates"]:
        parsed = read_return_workbook(path)
        upns = [row.values["upn"] for row in parsed.pupils]
        assert len(upns) == len(set(upns))
        assert set(upns) == expected.get(parsed.details.values["urn"], set()), path.name
        for row in parsed.pupils:
            assert row.values["nc_year"] is not None and row.values["designation"] is not None
            assert row.values["date_joined"] is not None


def test_prefilled_cells_are_locked_and_the_rest_validated(sample):
    pupils_sheet, places_sheet = layout.PUPILS_SHEET, layout.PLACES_SHEET
    path = max(sample["templates"], key=lambda p: len(read_return_workbook(p).pupils))
    pupil_count = len(read_return_workbook(path).pupils)
    assert pupil_count == 7
    book = openpyxl.load_workbook(path)
    for name in (layout.DETAILS, layout.PLACES, layout.PUPILS, layout.FINANCE):
        assert book[name].protection.sheet, name
    details = book[layout.DETAILS]
    for field in ("urn", "school_name", "academic_year", "template_version"):
        assert details[layout.DETAILS_SHEET.cell(field)].protection.locked, field
    for field in ("contact_role", "date_completed"):
        assert not details[layout.DETAILS_SHEET.cell(field)].protection.locked, field
    places = book[layout.PLACES]
    for row in range(layout.FIRST_DATA_ROW, places.max_row + 1):
        for column in places_sheet.columns:
            cell = places[places_sheet.cell(column.field, row)]
            assert cell.protection.locked == column.prefilled, cell.coordinate
    pupils = book[layout.PUPILS]
    last_prefilled = layout.FIRST_DATA_ROW + pupil_count - 1
    for row in (layout.FIRST_DATA_ROW, last_prefilled, last_prefilled + 1):
        for column in pupils_sheet.columns:
            cell = pupils[pupils_sheet.cell(column.field, row)]
            assert cell.protection.locked == (column.prefilled and row <= last_prefilled), \
                cell.coordinate
    lists = {dv.formula1: str(dv.sqref) for dv in pupils.data_validations.dataValidation}
    for field, codes in (("designation", "designation"), ("destination", "destination"),
                         ("permanent_exclusion", "yes_no")):
        letter = pupils_sheet.letter(field)
        assert lists[layout.list_range(codes)].startswith(f"{letter}{layout.FIRST_DATA_ROW}:")


def test_pupil_rows_the_council_cannot_complete_stay_editable():
    known = PlacedPupil("A886600116001", 3, "ASD", dt.date(2024, 9, 4))
    assert _pupil_row(known).prefilled
    assert not _pupil_row(PlacedPupil("A886600116001", 3, None, dt.date(2024, 9, 4))).prefilled
    assert not _pupil_row(PlacedPupil(None, 3, "ASD", dt.date(2024, 9, 4))).prefilled


def test_the_outbox_keeps_no_copy_of_the_placement_or_nc_year_rules():
    """Which pupils a school had, their NC year and the comparison with a return are dbt's
    (silver_srp_pupils_in_year, silver_return_pupil_reconciliation): the outbox only names the
    pupils again, so it reads no Synergy placement, plan or date of birth from bronze."""
    outbox = Path(__file__).resolve().parents[1] / "orchestration" / "outbox"
    for path in outbox.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for copy in ("synergy_placement", "synergy_named_plan", "date_of_birth",
                     "def nc_year", "def _differences(school"):
            assert copy not in text, (path.name, copy)


# --- feedback -----------------------------------------------------------------------------

def test_a_feedback_file_for_every_return_received(sample):
    received = {str(p.relative_to(sample["landing"])) for p in
                (sample["landing"] / "school_returns").rglob("*.xlsx")}
    assert len(received) == RETURNS
    assert {f.submission.source_file for f in sample["feedback"]} == received
    assert len(set(sample["feedback_files"])) == RETURNS
    assert all(p.exists() for p in sample["feedback_files"])
    written = sorted(sample["out"].glob("feedback/*/*_feedback.xlsx"))
    assert written == sorted(sample["feedback_files"])


def test_feedback_names_the_cell_and_rule_of_text_in_a_number_cell(sample):
    defect = sample["defects"]["return_text_in_number"][0]
    item, path = feedback_for(sample, defect["file"])
    row = layout.FIRST_DATA_ROW + defect["pupil_row"] - 1
    issues = cells(path)["Issues"]
    assert issues[3] == ("Severity", "Sheet", "Cell", "Row", "Column", "Value entered",
                         "What was wrong", "What to do")
    assert issues[4] == (
        "Error", "Pupils", f"{layout.PUPILS_SHEET.letter('attendance_pct')}{row}", row,
        "Attendance %", "ninety", "Attendance % 'ninety' is not a number between 0 and 100",
        "Type the number only, in digits (for example 90), with no words, symbols or spaces.")
    assert summary_value(cells(path), "Outcome") == "Not accepted: 1 error to correct"


def test_feedback_of_a_superseded_return_says_so(sample):
    defect = sample["defects"]["return_resubmitted"][0]
    item, path = feedback_for(sample, defect["file"])
    sheets = cells(path)
    assert summary_value(sheets, "Outcome") == \
        "Not accepted: 1 error to correct; superseded by a later return"
    corrected = defect["superseded_by"].rsplit("/", 1)[-1]
    assert f"Superseded: the council uses your return '{corrected}' (received " in text_of(sheets)
    _, corrected_path = feedback_for(sample, defect["superseded_by"])
    assert summary_value(cells(corrected_path), "Outcome") == "Accepted"


def test_feedback_of_a_wrong_year_return_says_so(sample):
    defect = sample["defects"]["return_wrong_year"][0]
    item, path = feedback_for(sample, defect["file"])
    sheets = cells(path)
    assert summary_value(sheets, "Outcome") == \
        "Not accepted: this is the 2023/24 return, sent as the 2024/25 return"
    assert sheets["Issues"][4][:5] == ("Error", "Details", "B6", 6, "Academic year")
    assert item.differences is None


def test_feedback_of_a_late_return_says_so(sample):
    defect = sample["defects"]["return_late"][0]
    _, path = feedback_for(sample, defect["file"])
    sheets = cells(path)
    assert summary_value(sheets, "Late") == "Yes"
    completed = dt.date.fromisoformat(defect["value"])
    assert f"Late: this return was completed on {completed:%d/%m/%Y}, after the deadline of " \
           f"30/09/{completed.year}." in text_of(sheets)


def test_feedback_of_a_clean_return_says_accepted(sample):
    defective = {entry["file"] for entries in sample["defects"].values() for entry in entries}
    clean = [f for f in sample["feedback"]
             if f.submission.source_file not in defective and not f.issues and not f.differences]
    assert len(clean) >= 20
    for item in clean:
        _, path = feedback_for(sample, item.submission.source_file)
        sheets = cells(path)
        assert summary_value(sheets, "Outcome") == "Accepted"
        assert sheets["Issues"][4] == ("No errors or warnings.",) + (None,) * 7
        assert sheets["Pupil check"][4] == ("No differences.",) + (None,) * 4


def test_feedback_names_pupils_missing_from_or_unknown_to_council_records(sample):
    for defect, difference in (("return_pupil_missing",
                                "In council records, missing from your return"),
                               ("return_pupil_not_in_synergy",
                                "In your return, not in council records")):
        entry = sample["defects"][defect][0]
        item, path = feedback_for(sample, entry["file"])
        assert (entry["value"], difference) in {row[:2] for row in cells(path)["Pupil check"]}


def test_feedback_holds_only_the_schools_own_pupils(sample):
    named = 0
    for item, path in zip(sample["feedback"], sample["feedback_files"]):
        sub = item.submission
        own = placed_upns(sample["landing"], int(sub.academic_year[:4])).get(sub.urn, set()) \
            if sub.academic_year else set()
        if sub.status != "quarantined":
            parsed = read_return_workbook(sample["landing"] / sub.source_file)
            own |= {row.values["upn"] for row in parsed.pupils}
        found = set(UPN_TEXT.findall(text_of(cells(path))))
        assert found <= own, path.name
        named += len(found)
    assert named > 0


def test_every_feedback_sheet_is_marked_personal(sample):
    for path in sample["feedback_files"]:
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == ["Summary", "Issues", "Pupil check"]
        for ws in book:
            assert ws["A1"].value == MARKING == ws.oddHeader.center.text, (path.name, ws.title)


def test_feedback_pupil_check_matches_gold_reconciliation(sample):
    mine = {}
    for item in sample["feedback"]:
        if item.submission.is_current:
            kinds = [d.difference for d in item.differences]
            mine[(item.submission.urn, item.submission.academic_year)] = (
                kinds.count("In council records, missing from your return"),
                kinds.count("In your return, not in council records"),
                kinds.count("Designation differs"), kinds.count("NC year differs"))
    assert mine == {(urn, year): tuple(counts) for urn, year, *counts in sample["gold"]}


def test_feedback_pupil_check_is_the_silver_reconciliation_named_again(sample):
    """Every compared return, current or not: its Pupil check is exactly its rows of
    silver_return_pupil_reconciliation (the council's pupils with a UPN can be named)."""
    compared = 0
    for item in sample["feedback"]:
        sub = item.submission
        if item.differences is None:
            assert (sub.source_file, sub.sha256) not in sample["reconciliation"]
            continue
        kinds = [d.difference for d in item.differences]
        expected = sample["reconciliation"].get((sub.source_file, sub.sha256), [0, 0, 0, 0])
        assert [kinds.count("In council records, missing from your return"),
                kinds.count("In your return, not in council records"),
                kinds.count("Designation differs"), kinds.count("NC year differs")] == \
            [int(n) for n in expected], sub.source_file
        compared += 1
    assert compared > 30 and any(sum(counts) for counts in sample["reconciliation"].values())


def test_versions_of_one_file_name_get_numbered(sample):
    item = sample["feedback"][0]
    again = type(item)(**{**item.__dict__, "submission": type(item.submission)(
        **{**item.submission.__dict__, "sha256": "f" * 64,
           "received_at": item.submission.received_at + dt.timedelta(days=1)})})
    first, second = feedback_paths([again, item], Path("/out"))
    assert second.name.endswith("_v1_feedback.xlsx") and first.name.endswith("_v2_feedback.xlsx")
    assert first.with_name(first.name.replace("_v2", "_v1")) == second


def test_outbox_assets_write_the_files_and_report_counts_only(sample, tmp_path):
    import dagster as dg

    from orchestration.defs.outbox.assets import return_feedback, return_templates
    from orchestration.resources import FoldersResource, WarehouseResource

    warehouse = sample["out"].parent / "warehouse.duckdb"
    folders = FoldersResource(landing=str(sample["landing"]), archive=str(tmp_path),
                              published=str(tmp_path), report=str(tmp_path),
                              outbox=str(tmp_path / "outbox"))
    result = dg.materialize([return_templates, return_feedback], resources={
        "warehouse": WarehouseResource(path=str(warehouse)), "folders": folders})
    assert result.success
    metadata = {event.asset_key.path[-1]: {k: v.value for k, v in
                                           event.materialization.metadata.items()}
                for event in result.get_asset_materialization_events()}
    assert metadata["return_templates"] == {
        "academic_year": COMING_YEAR, "files_written": 7, "files_written_this_run": 7,
        "files_failed": 0, "failed_files": {}, "schools": 7, "pupils_prefilled": 17,
        "pupil_rows_left_editable": 0}
    feedback = metadata["return_feedback"]
    assert feedback["files_written"] == RETURNS and feedback["schools"] == 7
    assert feedback["returns_by_status"] == {
        "accepted": 31, "accepted with warnings": 1, "not accepted": 6,
        "superseded by a later return": 0}
    assert not UPN_TEXT.search(json.dumps(metadata, default=str))
    # the same warehouse gives byte-identical files
    again = sorted((tmp_path / "outbox").glob("*/*/*.xlsx"))
    first = sorted(sample["templates"] + sample["feedback_files"])
    assert [p.relative_to(tmp_path / "outbox") for p in again] == \
        [p.relative_to(sample["out"]) for p in first]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, first))


def test_feedback_of_an_unreadable_file_says_why(sample):
    item, path = feedback_for(sample, f"school_returns/2024-25/{NOT_A_WORKBOOK}")
    assert path == sample["out"] / "feedback" / "2024-25" / "our_return_feedback.xlsx"
    sheets = cells(path)
    assert summary_value(sheets, "Outcome") == "Not accepted: the council could not read this file"
    assert summary_value(sheets, "School") == "not known"
    assert sheets["Issues"][4][:3] == ("Error", None, None)
    assert sheets["Issues"][4][6].startswith("This is not an Excel .xlsx workbook")
    assert "Not compared: the file could not be read." in text_of(sheets)
    item, path = feedback_for(sample, f"school_returns/{OUTSIDE_A_YEAR}")
    assert path == sample["out"] / "feedback" / "unknown-year" / "blank_feedback.xlsx"
    assert item.issues[0].rule == "bad_folder_name"
    assert summary_value(cells(path), "Outcome") == \
        "Not loaded yet: the council has to file it under its year"


def test_a_return_with_errors_after_an_accepted_one_leaves_the_accepted_one_in_use():
    from orchestration.outbox.feedback import NOT_ACCEPTED, Issue, Submission, _outcome

    def submission(name, day, status, current):
        return Submission(f"school_returns/2024-25/{name}", name, "2024/25", "118000", "A School",
                          "2024/25", dt.date(2025, 9, day), dt.datetime(2025, 9, day, 9), status,
                          None, current, False, False, dt.date(2025, 9, 30))

    accepted = submission("first.xlsx", 1, "valid", True)
    later = submission("second.xlsx", 20, "invalid", False)
    error = Issue("error", "Pupils", "H4", 4, "Attendance %", "x", "...", "...", "not_a_number")
    assert _outcome(later, [error], accepted) == (
        NOT_ACCEPTED, "Not accepted: 1 error to correct",
        ["The council cannot use a return with errors. Correct every error listed on the Issues "
         "sheet and send the whole workbook again.",
         "The council is still using your earlier return 'first.xlsx' (received 01/09/2025)."])


def test_feedback_takes_each_problems_cell_and_advice_from_the_data_not_the_message():
    """The cell is load_errors.cell and the advice the rule catalogue's: a message worded
    differently (or naming another cell) changes neither."""
    from orchestration.ingest.schema import ensure_bronze_schema
    from orchestration.outbox.feedback import _issues_by_file
    from orchestration.problems import RULES

    with duckdb.connect() as con:
        ensure_bronze_schema(con)
        con.execute("""
            insert into bronze.load_errors (source, source_file, sha256, sheet, cell, row_number,
                column_name, value, rule, message, severity, personal)
            values ('school_returns', 'school_returns/2024-25/r.xlsx', 'abc', 'Pupils',
                    'Pupils!H7', 7, 'Attendance %', 'ninety', 'not_a_number',
                    'school_returns/2024-25/r.xlsx Pupils!H7: Attendance % ''ninety'' is not a number',
                    'error', false),
                   ('school_returns', 'school_returns/2024-25/r.xlsx', 'abc', 'Pupils',
                    'Pupils!B9', 9, 'UPN', 'A123', 'invalid_upn',
                    'school_returns/2024-25/r.xlsx Pupils!B9: UPN (value withheld) is not a UPN',
                    'error', true),
                   ('school_returns', 'school_returns/2024-25/r.xlsx', 'abc', 'Places',
                    'Places!C5', 5, 'Pupils with an EHCP', 'x', 'not_a_number',
                    'Places row 5 (see C5, formerly D5): not a number', 'error', false)
        """)
        issues = _issues_by_file(con)[("school_returns/2024-25/r.xlsx", "abc")]
    assert [(i.sheet, i.cell, i.problem, i.advice) for i in issues] == [
        ("Places", "C5", "Places row 5 (see C5, formerly D5): not a number",
         RULES["not_a_number"].advice),
        ("Pupils", "H7", "Attendance % 'ninety' is not a number", RULES["not_a_number"].advice),
        ("Pupils", "B9", "UPN 'A123' is not a UPN", RULES["invalid_upn"].advice)]
