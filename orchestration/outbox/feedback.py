"""Feedback to schools: one workbook per return workbook received, in plain words.

For every row of ``bronze.return_submissions`` (every version of every file, quarantined and
superseded ones included) :func:`write_feedback` writes
``<out_dir>/feedback/<YYYY-YY>/<name>_feedback.xlsx`` with three sheets:

* **Summary**: the school, the file, and the outcome: *accepted*, *accepted with warnings*,
  *not accepted* (and why), *superseded by a later return*; whether it was late; counts.
* **Issues**: each error and warning bronze recorded for the file (``bronze.load_errors``):
  sheet, cell, row, column, the value entered, what was wrong and what to do.
* **Pupil check**: the return's pupil list against the pupils the council has placed in the
  school's SRP during the year, as silver.silver_return_pupil_reconciliation compared them
  (the one comparison; gold counts the same rows): pupils only in the return, pupils missing
  from it, designation and NC year differences, each named by UPN. Only the school's own
  pupils appear: each row is named again from bronze (the UPN on the return's row, or the
  council's record of a pupil placed at that school), never anything else.

``<name>`` is the file's name (prefixed with the URN when it does not start with it), made
safe and short for a file name (names.py); versions of the same name get ``_v1``, ``_v2``... in
the order received. Every cell is written through returns/cells.py, so text from returns and
file names is stored as text, never as a formula.

Which return is current, superseded or late comes from ``silver.silver_return_submission``
(the latest valid return is current; late = completed, or received, after the deadline). A
return that was not accepted is reported as superseded when the school's current return was
received after it.

Every sheet carries the marking ``OFFICIAL-SENSITIVE: contains personal data about children``
(first row and the printed header): the files hold UPNs and go only to the school concerned.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from orchestration.contract import academic_year_folder, academic_year_start
from orchestration.outbox.names import safe_name
from orchestration.problems import DEFAULT_ADVICE, advice, advice_by_rule  # noqa: F401
from orchestration.outbox.placed_pupils import pseudonym_key, upns_by_key
from orchestration.outbox.writer import WriteOutcome, write_changed
from orchestration.returns import layout
from orchestration.returns.cells import write_cell
from orchestration.returns.template import (  # byte-identical reruns, one marking
    PERSONAL_DATA_MARKING, mark_personal_data, save_deterministic,
)

MARKING = PERSONAL_DATA_MARKING
FEEDBACK_FOLDER = "feedback"
FILE_SUFFIX = "_feedback.xlsx"
UNKNOWN_YEAR_FOLDER = "unknown-year"

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted with warnings"
NOT_ACCEPTED = "not accepted"
SUPERSEDED = "superseded by a later return"
STATUSES = (ACCEPTED, ACCEPTED_WITH_WARNINGS, NOT_ACCEPTED, SUPERSEDED)

# What to do about each rule of bronze.load_errors: the rule catalogue (problems.py)
ADVICE = advice_by_rule()

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
MARKING_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Issue:
    severity: str  # error / warning
    sheet: str | None
    cell: str | None
    row: int | None
    column: str | None
    value: str | None
    problem: str
    advice: str
    rule: str


@dataclass(frozen=True)
class Difference:
    upn: str
    difference: str
    in_return: str
    in_council_records: str
    advice: str


@dataclass
class Submission:
    """One return workbook received, with what silver decided about it."""

    source_file: str
    sha256: str
    academic_year: str | None  # the folder's year, 2024/25
    urn: str | None
    school_name: str | None
    stated_academic_year: str | None
    date_completed: dt.date | None
    received_at: dt.datetime
    status: str  # valid / invalid / quarantined (bronze)
    status_reason: str | None
    is_current: bool
    is_superseded: bool
    is_late: bool | None
    deadline: dt.date | None

    @property
    def file_name(self) -> str:
        return self.source_file.rsplit("/", 1)[-1]


@dataclass
class Feedback:
    submission: Submission
    status: str  # ACCEPTED, ACCEPTED_WITH_WARNINGS, NOT_ACCEPTED, SUPERSEDED
    outcome: str  # the headline
    explanation: list[str]
    issues: list[Issue]
    differences: list[Difference] | None  # None: the pupil list was not compared
    comparison_note: str
    counts: dict[str, int] = field(default_factory=dict)


# --- building ----------------------------------------------------------------------------

def build_feedback(con, key: str | None = None) -> list[Feedback]:
    """Feedback for every return workbook received, in year, URN and received order. ``key``:
    the pseudonym key silver was built with (default: the one dbt resolves), to name each
    school's own pupils again from bronze."""
    if key is None:
        key = pseudonym_key()
    submissions = _submissions(con)
    current = {(s.urn, s.academic_year): s for s in submissions if s.is_current}
    issues = _issues_by_file(con)
    compared = _reconciliation(con, key)
    feedback = []
    for sub in submissions:
        file_issues = issues.get((sub.source_file, sub.sha256), [])
        status, outcome, explanation = _outcome(sub, file_issues,
                                                current.get((sub.urn, sub.academic_year)))
        differences, note = _compare_pupils(sub, file_issues, compared)
        if differences:
            explanation.append(
                f"Please look at the Pupil check sheet: {_plural(len(differences), 'difference')}"
                " between your pupil list and the council's records.")
        feedback.append(Feedback(sub, status, outcome, explanation, file_issues, differences,
                                 note, _counts(file_issues, differences)))
    return feedback


def _submissions(con) -> list[Submission]:
    rows = con.execute("""
        select s._source_file, s._sha256, s._academic_year, nullif(trim(s.urn), ''),
               s.school_name, s.academic_year, s.date_completed, s.received_at, s.status,
               s.status_reason, coalesce(v.is_current, false), coalesce(v.is_superseded, false),
               v.is_late, v.deadline
        from bronze.return_submissions as s
        left join silver.silver_return_submission as v
            on v.submission_id = s._sha256 and v.source_file = s._source_file
        order by s._academic_year nulls last, s.urn nulls last, s.received_at, s._source_file,
                 s._sha256
    """).fetchall()
    return [Submission(*row[:6], _date(row[6]), *row[7:13], _date(row[13])) for row in rows]


def _issues_by_file(con) -> dict[tuple[str, str], list[Issue]]:
    rows = con.execute("""
        select source_file, sha256, severity, sheet, cell, row_number, column_name, value,
               rule, message
        from bronze.load_errors
        where source = 'school_returns'
        order by source_file, sha256, severity = 'error' desc, sheet nulls first, row_number,
                 column_name, rule
    """).fetchall()
    found: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for source_file, sha256, severity, sheet, cell, row, column, value, rule, message in rows:
        text = message.removeprefix(source_file).lstrip(": ")
        if cell:  # the school sees its own values
            text = text.removeprefix(f"{cell}: ")
            text = text.replace("(value withheld)", f"'{value}'") if value else text
        found[(source_file, sha256)].append(Issue(
            severity, sheet, cell.partition("!")[2] if cell else None, row, column, value,
            _sentence(text), advice(rule), rule))
    return found


@dataclass(frozen=True)
class ComparedPupil:
    """One row of silver.silver_return_pupil_reconciliation, its pupil named again."""

    upn: str | None  # None: the pupil cannot be named (no UPN in council records)
    in_return: bool
    in_council_records: bool
    return_designation: str | None
    council_designation: str | None  # None: council records do not say
    return_nc_year: int | None
    council_nc_year: int | None
    designation_mismatch: bool
    nc_year_mismatch: bool


def _reconciliation(con, key: str) -> dict[tuple[str, str], list[ComparedPupil]]:
    """Each compared return's rows of silver_return_pupil_reconciliation, by (file, sha256),
    named again: pupils the return lists by the UPN on their row, the council's other pupils
    from bronze (upns_by_key), each only in its own school's feedback."""
    rows = con.execute("""
        select source_file, submission_id, return_row, upn_key, in_return = 1,
               in_council_records = 1, return_designation,
               nullif(council_designation, 'unknown'), return_nc_year, council_nc_year,
               designation_mismatch = 1, nc_year_mismatch = 1
        from silver.silver_return_pupil_reconciliation
    """).fetchall()
    listed = _listed_upns(con)
    from_council = upns_by_key(con, key, {r[3] for r in rows if r[3] and not r[4]})
    compared: dict[tuple[str, str], list[ComparedPupil]] = defaultdict(list)
    for source_file, sha256, return_row, upn_key, in_return, *facts in rows:
        upn = (listed.get((source_file, sha256, return_row)) if in_return
               else from_council.get(upn_key))
        compared[(source_file, sha256)].append(ComparedPupil(upn, in_return, *facts))
    return compared


def _listed_upns(con) -> dict[tuple[str, str, int], str]:
    """The UPN on each Pupils row of each return: loaded rows and rows rejected for an error
    (bronze keeps those whole in load_errors.raw_record)."""
    found = {(f, sha, row): upn for f, sha, row, upn in con.execute("""
        select _source_file, _sha256, _row_number, upper(trim(upn))
        from bronze.return_pupils where upn is not null
    """).fetchall()}
    for source_file, sha256, row, raw in con.execute("""
        select source_file, sha256, row_number, any_value(raw_record)
        from bronze.load_errors
        where source = 'school_returns' and severity = 'error' and lower(sheet) = lower(?)
          and row_number is not null and raw_record is not null
        group by all
    """, [layout.PUPILS]).fetchall():
        upn = json.loads(raw).get("upn")
        if upn:
            found.setdefault((source_file, sha256, row), upn.strip().upper())
    return found


# --- outcome -----------------------------------------------------------------------------

def _outcome(sub: Submission, issues: list[Issue],
             current: Submission | None) -> tuple[str, str, list[str]]:
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    replaced_by = current if current is not None and current is not sub and (
        sub.is_superseded or current.received_at >= sub.received_at) else None
    if any(i.rule == "bad_folder_name" for i in issues):  # the council's filing, not the school's
        status, outcome = NOT_ACCEPTED, "Not loaded yet: the council has to file it under its year"
        lines = ["The council will load this return once it has filed it under the academic "
                 "year it covers. Nothing for you to do."]
    elif sub.status == "quarantined":
        status, outcome = NOT_ACCEPTED, "Not accepted: the council could not read this file"
        lines = [_sentence(_reason(sub)),
                 "Nothing in this file was loaded. Please fill in the council's template and "
                 "send it again."]
    elif sub.status == "invalid":
        status = NOT_ACCEPTED
        outcome = f"Not accepted: {_plural(errors, 'error')} to correct"
        wrong_year = next((i for i in issues if i.rule == "wrong_year"), None)
        if wrong_year is not None:
            outcome = (f"Not accepted: this is the {sub.stated_academic_year} return, sent as "
                       f"the {sub.academic_year} return")
        lines = ["The council cannot use a return with errors. Correct every error listed on "
                 "the Issues sheet and send the whole workbook again."]
    elif sub.is_superseded:
        status, outcome, lines = SUPERSEDED, "Superseded by a later return", []
    else:
        status = ACCEPTED_WITH_WARNINGS if warnings else ACCEPTED
        outcome = "Accepted with warnings" if warnings else "Accepted"
        lines = ["Thank you: the council has loaded this return."]
        if warnings:
            lines.append("Please check the warnings on the Issues sheet. Correct them in your "
                         "records (and in next year's return), or tell the SEND commissioning "
                         "team if the values are right.")
    if replaced_by is not None:
        if status == NOT_ACCEPTED:
            outcome += "; superseded by a later return"
        lines = [f"Superseded: the council uses your return '{replaced_by.file_name}' "
                 f"(received {_day(replaced_by.received_at)}) instead of this one. Nothing more "
                 "to do for this file."]
    elif current is not None and current is not sub:
        lines.append(f"The council is still using your earlier return "
                     f"'{current.file_name}' (received {_day(current.received_at)}).")
    if sub.is_late:
        when = (f"completed on {_day(sub.date_completed)}" if sub.date_completed
                else f"received on {_day(sub.received_at)}")
        lines.append(f"Late: this return was {when}, after the deadline of "
                     f"{_day(sub.deadline)}.")
    return status, outcome, lines


def _reason(sub: Submission) -> str:
    return (sub.status_reason or "the file could not be read").removeprefix(
        sub.source_file).lstrip(": ")


# --- pupil check -------------------------------------------------------------------------

def _compare_pupils(sub: Submission, issues: list[Issue],
                    compared: dict) -> tuple[list[Difference] | None, str]:
    if sub.status == "quarantined":
        return None, "Not compared: the file could not be read."
    if any(i.rule == "wrong_year" for i in issues):
        return None, ("Not compared: this return is for another year than the one it was "
                      "sent for.")
    if sub.academic_year is None or not (sub.urn and sub.urn.isdigit() and len(sub.urn) == 6):
        return None, "Not compared: the return has no valid URN or academic year."
    pupils = compared.get((sub.source_file, sub.sha256), [])
    council = sum(p.in_council_records for p in pupils)
    return _differences(pupils, sub.academic_year), (
        f"Your return's pupil list compared with the {council} pupil(s) the council "
        f"has placed in your SRP at any time during {sub.academic_year}.")


def _differences(pupils: list[ComparedPupil], year: str) -> list[Difference]:
    """The reconciliation's findings for one return, in words, each pupil named by UPN."""
    named = sorted((p for p in pupils if p.upn), key=lambda p: p.upn)
    found = []
    for p in (p for p in named if p.in_return and not p.in_council_records):
        found.append(Difference(
            p.upn, "In your return, not in council records", "listed", "not placed in your SRP",
            f"The council has no record of this pupil in your SRP during {year}. If they were "
            "in the SRP, tell the SEND team so their placement record can be updated; if not, "
            "remove the row."))
    for p in (p for p in named if p.in_council_records and not p.in_return):
        found.append(Difference(
            p.upn, "In council records, missing from your return", "not listed",
            "placed in your SRP",
            f"Council records show this pupil in your SRP during {year}. Add them to the "
            "Pupils sheet, or tell the SEND team if they were not in your SRP."))
    for p in named:
        if p.designation_mismatch:
            found.append(Difference(
                p.upn, "Designation differs", p.return_designation,
                p.council_designation or "not recorded",
                "Check which designation the pupil's place is under; tell the SEND team if "
                "the council's record is wrong." if p.council_designation else
                "The council's record does not say which designation the pupil's place is "
                "under; the SEND team will update it (tell them if your return is wrong)."))
        if p.nc_year_mismatch:
            found.append(Difference(
                p.upn, "NC year differs", str(p.return_nc_year), str(p.council_nc_year),
                "Check the pupil's NC year (from their date of birth; 0 = Reception); tell "
                "the SEND team if the council's record is wrong."))
    return found


def _counts(issues: list[Issue], differences: list[Difference] | None) -> dict[str, int]:
    errors = sum(i.severity == "error" for i in issues)
    return {"errors": errors, "warnings": len(issues) - errors,
            "pupil_differences": len(differences or [])}


# --- writing -----------------------------------------------------------------------------

def feedback_name(sub: Submission) -> str:
    """``<urn>_<file stem>`` (the stem alone if it starts with the URN or there is none),
    made safe and short (names.py)."""
    stem = Path(sub.file_name).stem
    name = stem if not sub.urn or stem.startswith(sub.urn) else f"{sub.urn}_{stem}"
    return safe_name(name, default="return")


def feedback_paths(feedback: list[Feedback], out_dir: Path) -> list[Path]:
    """The file for each feedback, versions of one name numbered in the order received."""
    def folder(sub: Submission) -> str:
        if sub.academic_year is None:
            return UNKNOWN_YEAR_FOLDER
        return academic_year_folder(academic_year_start(sub.academic_year))

    keys = [(folder(f.submission), feedback_name(f.submission)) for f in feedback]
    versions: dict[tuple, list[int]] = defaultdict(list)
    for index in sorted(range(len(feedback)), key=lambda i: (
            feedback[i].submission.received_at, feedback[i].submission.sha256)):
        versions[keys[index]].append(index)
    paths = [Path()] * len(feedback)
    for (year_folder, name), indexes in versions.items():
        for number, index in enumerate(indexes, start=1):
            suffix = f"_v{number}" if len(indexes) > 1 else ""
            paths[index] = (Path(out_dir) / FEEDBACK_FOLDER / year_folder
                            / f"{name}{suffix}{FILE_SUFFIX}")
    return paths


def write_feedback_files(feedback: list[Feedback], out_dir: Path) -> WriteOutcome:
    """Write each feedback workbook whose content changed (see writer.py); feedback files no
    longer produced are removed. One workbook that cannot be written does not stop the
    others: the outcome lists it as failed."""
    paths = feedback_paths(feedback, out_dir)
    root = Path(out_dir) / FEEDBACK_FOLDER
    outcome = write_changed(list(zip(paths, feedback)), write_feedback_workbook, root)
    for stale in set(root.glob(f"*/*{FILE_SUFFIX}")) - set(paths):
        stale.unlink()
    return outcome


def write_feedback(con, out_dir: Path, key: str | None = None) -> WriteOutcome:
    """One feedback workbook for every return workbook received."""
    return write_feedback_files(build_feedback(con, key), out_dir)


def write_feedback_workbook(path: Path, item: Feedback) -> None:
    """One feedback workbook; same input, byte-identical file."""
    wb = Workbook()
    wb.remove(wb.active)
    _write_summary(wb.create_sheet("Summary"), item)
    _write_table(wb.create_sheet("Issues"), "Errors and warnings in your return",
                 "Errors: the row (or, in the Details, Finance and Outcomes sheets, the sheet) "
                 "was not loaded. Warnings: loaded, but please check.",
                 ("Severity", "Sheet", "Cell", "Row", "Column", "Value entered",
                  "What was wrong", "What to do"),
                 [(i.severity.capitalize(), i.sheet, i.cell, i.row, i.column, i.value,
                   i.problem, i.advice) for i in item.issues],
                 "No errors or warnings.", (10, 12, 8, 6, 22, 18, 60, 60))
    _write_table(wb.create_sheet("Pupil check"), "Your pupils compared with council records",
                 item.comparison_note,
                 ("UPN", "Difference", "Your return says", "Council records say", "What to do"),
                 [(d.upn, d.difference, d.in_return, d.in_council_records, d.advice)
                  for d in (item.differences or [])],
                 "No differences." if item.differences is not None else "",
                 (16, 40, 18, 22, 80))
    save_deterministic(wb, path, item.submission.received_at.replace(microsecond=0))


def _start(ws, title: str) -> None:
    write_cell(ws, 1, 1, MARKING).font = MARKING_FONT
    write_cell(ws, 2, 1, title).font = TITLE_FONT
    mark_personal_data(ws)


def _write_summary(ws, item: Feedback) -> None:
    sub = item.submission
    _start(ws, "Feedback on your SRP annual return")
    facts = [
        ("School", f"{sub.school_name or ''} (URN {sub.urn})".strip() if sub.urn else "not known"),
        ("Academic year", sub.academic_year or "not known"),
        ("File received", sub.file_name),
        ("Received on", _day(sub.received_at)),
        ("Date completed (as entered)", _day(sub.date_completed) or "not given"),
        ("Deadline", _day(sub.deadline) or "not known"),
        ("Outcome", item.outcome),
        ("Late", "Yes" if sub.is_late else "No" if sub.is_late is not None else "not known"),
        ("Errors", item.counts["errors"]),
        ("Warnings", item.counts["warnings"]),
        ("Pupil differences with council records",
         item.counts["pupil_differences"] if item.differences is not None else "not compared"),
    ]
    row = 4
    for label, value in facts:
        write_cell(ws, row, 1, label).font = BOLD
        value_cell = write_cell(ws, row, 2, value)
        value_cell.alignment = WRAP
        if label == "Outcome":
            value_cell.font = BOLD
        row += 1
    write_cell(ws, row + 1, 1, "What this means").font = BOLD
    for offset, line in enumerate(item.explanation + [
            "The Issues sheet lists each error and warning; the Pupil check sheet compares "
            "your pupil list with the council's records."], start=row + 2):
        write_cell(ws, offset, 1, line).alignment = WRAP
        ws.merge_cells(start_row=offset, start_column=1, end_row=offset, end_column=2)
        ws.row_dimensions[offset].height = 45
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 90


def _write_table(ws, title: str, hint: str, headers: tuple, rows: list[tuple], empty: str,
                 widths: tuple) -> None:
    _start(ws, title)
    write_cell(ws, 3, 1, hint)
    for index, header in enumerate(headers, start=1):
        cell = write_cell(ws, 4, index, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for row_index, values in enumerate(rows, start=5):
        for index, value in enumerate(values, start=1):
            write_cell(ws, row_index, index, value).alignment = WRAP
    if not rows and empty:
        write_cell(ws, 5, 1, empty)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A5"


# --- small helpers -----------------------------------------------------------------------

def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    for date_format in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(str(value).strip(), date_format).date()
        except ValueError:
            continue
    return None


def _day(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text

