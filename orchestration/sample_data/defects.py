"""Deliberate data defects (on by default) and the log of where each one was put.

Each defect is a handful of rows, so the rest of the data stays clean. The manifest lists
every one with its file and row/line (line 1 = header) or workbook location.
"""

from __future__ import annotations

import copy
import datetime as dt

from orchestration.contract import academic_year_folder, academic_year_label
from orchestration.returns.model import PupilRow
from orchestration.sample_data.children import PersonRecord
from orchestration.sample_data.returns import ReturnFile, deadline
from orchestration.sample_data.scenario import RETURN_YEARS
from orchestration.sample_data.srps import SrpRegister

IMPOSSIBLE_DATE = "31/02/2024"
UNKNOWN_SEN_TYPE = "AUT"
NON_NUMERIC_PERSON_ID = "10O234"  # a letter O typed for a zero
ORPHAN_PLAN_ID = "299999"  # plan ids start at 300001
GIAS_BAD_EASTING = "TQ 5412"
NEGATIVE_PLACES = "-12"
NUMBER_AS_TEXT = "ninety"


class DefectLog:
    def __init__(self):
        self.entries: list[dict] = []

    def add(self, defect: str, file: str, what: str, **where) -> None:
        self.entries.append({"defect": defect, "file": file, **where, "what": what})


class SynergyDefects:
    """Defects in the Synergy extract: a few rows altered in flight, a few appended."""

    def __init__(self, register: SrpRegister, log: DefectLog):
        self.log = log
        self.two_designation_schools = {urn for urn, srps in register.by_school.items() if len(srps) > 1}
        self.pending = {"impossible_date", "unknown_sen_type", "blank_srp_designation"}
        self.sample_placement: dict | None = None
        self.sample_person: dict | None = None

    def alter(self, record: PersonRecord) -> None:
        """Corrupt rows of this child if a pending defect fits it."""
        rows = record.rows
        if "impossible_date" in self.pending:
            for row in rows.get("request.csv", ()):
                decided = row["request_outcome_date"]
                if isinstance(decided, dt.date) and decided.year == 2024:
                    self._target("impossible_date", row, "request_outcome_date", IMPOSSIBLE_DATE,
                                 "impossible date (31 February)")
        if "unknown_sen_type" in self.pending:
            for row in rows.get("sen_need.csv", ()):
                if row["sen_type_rank"] == 2:
                    self._target("unknown_sen_type", row, "sen_type", UNKNOWN_SEN_TYPE,
                                 "sen_type not in the SEN2 code set")
                    break
        if "blank_srp_designation" in self.pending:
            for row in rows.get("placement.csv", ()):
                if row["resourced_provision_indicator"] == "Y" and row["urn"] in self.two_designation_schools:
                    self._target("blank_srp_designation", row, "srp_designation", "",
                                 "resourced_provision_indicator Y, srp_designation blank, at an SRP school with two designations")
                    break
        if self.sample_placement is None and rows.get("placement.csv"):
            self.sample_placement = copy.copy(rows["placement.csv"][0])

    def _target(self, defect: str, row: dict, column: str, value: str, what: str) -> None:
        if defect not in self.pending:
            return
        row[column] = value
        row["_defect"] = (defect, column, value, what)
        self.pending.discard(defect)

    def note(self, file_path: str, row: dict, line: int | None) -> None:
        details = row.get("_defect")
        if details and line is not None:
            defect, column, value, what = details
            self.log.add(defect, file_path, what, line=line, column=column, value=value)

    def appended_rows(self, review_columns):
        """(defect, file name, row, what, column) added at the end of the files; a list row
        is written as is, a dict row like any other."""
        person = {"person_id": NON_NUMERIC_PERSON_ID, "surname": "Test", "forename": "Record",
                  "date_of_birth": dt.date(2015, 3, 14), "sex": "M"}
        duplicate = {**self.sample_placement,
                     "entry_date": self.sample_placement["entry_date"] + dt.timedelta(days=1)}
        yield ("non_numeric_person_id", "person.csv", person, "person_id is not a number", "person_id")
        yield ("duplicate_placement_id", "placement.csv", duplicate,
               "placement_id repeats an earlier row", "placement_id")
        yield ("orphan_sen_need", "sen_need.csv",
               {"plan_id": ORPHAN_PLAN_ID, "sen_type": "ASD", "sen_type_rank": 1},
               "plan_id not in named_plan.csv", "plan_id")
        yield ("too_few_fields", "annual_review.csv", ["9999999", "300001"],
               f"row has 2 fields, header has {len(review_columns)}", None)


def gias_defect(log: DefectLog, file_path: str):
    """Row hook: text in the Easting of the first Kent primary school without an SRP."""
    done = []

    def hook(line, school, row):
        if not done and school.kind == "primary" and school.in_kent and not school.srp_id:
            row["Easting"] = GIAS_BAD_EASTING
            log.add("gias_text_easting", file_path, "Easting holds text, not metres", line=line,
                    column="Easting", value=GIAS_BAD_EASTING, urn=school.urn)
            done.append(True)
    return hook


def register_defect(log: DefectLog, file_path: str):
    """Row hook: negative commissioned places in one row of one year's register."""
    done = []

    def hook(line, row):
        if not done:
            row["commissioned_places"] = NEGATIVE_PLACES
            log.add("srp_negative_places", file_path, "commissioned_places is negative", line=line,
                    column="commissioned_places", value=NEGATIVE_PLACES, srp_id=row["srp_id"],
                    designation=row["designation"])
            done.append(True)
    return hook


def apply_return_defects(files: list[ReturnFile], log: DefectLog, upn_not_in_synergy: str) -> list[ReturnFile]:
    """School behaviour: resubmissions, lateness, wrong year, odd names and odd cells."""
    latest, previous = RETURN_YEARS[-1], RETURN_YEARS[-2]
    candidates = {y: sorted((f for f in files if f.folder_year == y and f.content.pupils),
                            key=lambda f: -len(f.content.pupils))
                  for y in (latest, previous)}
    pick = _picker(candidates)
    out = list(files)

    for item, name in ((pick(latest), "SRP return FINAL v2.xlsx"),
                       (pick(previous), "Copy of Kent SRP annual return (1).xlsx")):
        item.file_name = name
        log.add("return_renamed", item.relative_path, "school renamed the file",
                urn=item.content.urn, field="file_name")

    resubmitted = pick(previous)
    first = _copy(resubmitted)
    first.content.date_completed = resubmitted.content.date_completed - dt.timedelta(days=21)
    first.content.pupils[0].nc_year = None
    resubmitted.file_name = resubmitted.file_name.replace(".xlsx", "_corrected.xlsx")
    out.append(first)
    log.add("return_resubmitted", first.relative_path,
            "first submission (pupil 1 NC year blank), superseded by a corrected file with a later date_completed",
            superseded_by=resubmitted.relative_path, pupil_row=1, field="nc_year")

    late = pick(previous)
    late.content.date_completed = deadline(previous) + dt.timedelta(days=18)
    log.add("return_late", late.relative_path, "date_completed after the 30 September deadline",
            field="date_completed", value=late.content.date_completed.isoformat())

    wrong = pick(latest, alone=True)
    last_years = next(f for f in files if f.folder_year == previous and f.content.urn == wrong.content.urn)
    out.remove(wrong)
    misplaced = ReturnFile(latest, wrong.file_name, copy.deepcopy(last_years.content))
    misplaced.content.date_completed = deadline(latest) - dt.timedelta(days=10)
    out.append(misplaced)
    log.add("return_wrong_year", misplaced.relative_path,
            f"a {academic_year_label(previous)} return put in the {academic_year_folder(latest)} folder (the school's {academic_year_label(latest)} return is missing)",
            field="academic_year", value=academic_year_label(previous))

    missing = pick(latest)
    dropped = missing.content.pupils.pop()
    log.add("return_pupil_missing", missing.relative_path,
            "a pupil Synergy places in this SRP is missing from the return", field="upn", value=dropped.upn)

    unknown = pick(latest)
    unknown.content.pupils.append(PupilRow(
        upn=upn_not_in_synergy, nc_year=3, designation=unknown.content.places[0].designation,
        date_joined=dt.date(latest, 9, 4), pct_timetable_mainstream=40.0, attendance_pct=93.5,
        suspension_days=0.0, permanent_exclusion="N"))
    log.add("return_pupil_not_in_synergy", unknown.relative_path, "pupil UPN not in person.csv",
            pupil_row=len(unknown.content.pupils), field="upn", value=upn_not_in_synergy)

    blank = pick(latest)
    blank.content.pupils[0].designation = None
    log.add("return_blank_designation", blank.relative_path, "pupil designation blank", pupil_row=1,
            field="designation")

    text = pick(latest)
    text.content.pupils[-1].attendance_pct = NUMBER_AS_TEXT
    log.add("return_text_in_number", text.relative_path, "text in a number cell",
            pupil_row=len(text.content.pupils),
            field="attendance_pct", value=NUMBER_AS_TEXT)

    return out


def _picker(candidates: dict[int, list[ReturnFile]]):
    """A different school for each defect of a year while there are enough schools, so the
    defects don't mask each other; the wrong-year school is never reused."""
    used: dict[int, list[str]] = {year: [] for year in candidates}
    exclusive: set[str] = set()

    def pick(year: int, alone: bool = False) -> ReturnFile:
        fresh = [f for f in candidates[year] if f.content.urn not in used[year]]
        pool = fresh or [f for f in candidates[year] if f.content.urn not in exclusive]
        if not pool:
            raise ValueError("too few SRP schools with pupils to place the return defects")
        item = pool[0]
        used[year].append(item.content.urn)
        if alone:
            exclusive.add(item.content.urn)
        return item
    return pick


def _copy(item: ReturnFile) -> ReturnFile:
    return ReturnFile(item.folder_year, item.file_name, copy.deepcopy(item.content))
