"""The sample's children as SEN2 person-level returns: one annual return per January census.

Built from the generator's own records (children.PersonRecord, the one place that knows the
children), never from the Synergy CSVs, and written with orchestration/sen2/writer.py as the
XML return or the COLLECT Blade CSV set into ``landing/sen2/<extract date>/`` with ``_SUCCESS``.

What a return for collection year Y holds (census C = the third Thursday of January Y, calendar
year = Y - 1; every value as known on C: a date after C is absent with what it reveals, the
Synergy visibility rules, synergy.VISIBILITY):

* module 2 requests received in the calendar year, requests received earlier and still open on
  1 January, and the request of every plan active on C or ceased in the calendar year; each with
  its assessment (3), named plan (4a) and plan detail (4b: the plan's first placement);
* module 5a every plan active on C (its latest review on or before C), with its placements
  (5b) on roll at some point between 1 January and C, and its needs (5c);
* plans with no request in the generator (legacy plans older than its history, plans
  transferred in) active on C hang under a request dated on the plan's start with no outcome
  and no assessment (their start date is therefore unknown, docs/SEN2.md); ``transferla`` names
  the LA a transferred plan came from;
* module 1 each child with at least one request in the return, if 26 or younger on census
  day (older people, whose plan ended in the calendar year, are absent: validate.py's window).

Naming follows the collection year (spec.py): 2024 ``gendercurrent``, review dates in
``lastreview`` only and no SEN type ``DS`` (written ``OTH``); 2025 ``sex`` and
``reviewmeeting``/``reviewoutcome``. Dates before 1 September 2014 (which the structural rules
refuse; only legacy placements' entry dates and the requests carrying legacy plans) are written
as that day. What SEN2 cannot carry (request source, grid references, home district,
designation, every review but the latest) is absent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from orchestration import contract
from orchestration.sample_data import geography
from orchestration.sample_data.children import PersonRecord
from orchestration.sample_data.scenario import EXTRACT_DATES, HISTORY_START, age_on, as_of
from orchestration.sample_data.synergy import VISIBILITY
from orchestration.sen2 import spec
from orchestration.sen2.records import Record, Sen2Return
from orchestration.sen2.validate import date_window
from orchestration.sen2.writer import write_blade, write_xml

LANDING_SEN2 = "sen2"
FORMATS = ("sen2-xml", "sen2-blade")
EXTRACT_DAYS_AFTER_CENSUS = 14  # the return is extracted a fortnight after census day
SOFTWARE_CODE = "send-data-platform sample"
_BOOLEAN = {"Y": "1", "N": "0"}
_GENDER_CURRENT = {"M": "1", "F": "2", "U": "9"}  # 2024: 1 male, 2 female, 9 not specified
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Collection:
    """One annual return: its collection year, census day and extract date."""
    year: int

    @property
    def census(self) -> dt.date:
        return contract.census_day(self.year - 1)

    @property
    def calendar_year_start(self) -> dt.date:
        return dt.date(self.year - 1, 1, 1)

    @property
    def calendar_year_end(self) -> dt.date:
        return dt.date(self.year - 1, 12, 31)

    @property
    def extract_date(self) -> dt.date:
        return self.census + dt.timedelta(days=EXTRACT_DAYS_AFTER_CENSUS)


def collections() -> tuple[Collection, ...]:
    """A return per census of the sample's history whose year spec.py describes (the SEN2
    person-level return began in 2023; spec.py describes 2024 and 2025)."""
    last_known = as_of(EXTRACT_DATES[0])
    return tuple(Collection(year) for year in spec.YEARS
                 if HISTORY_START <= contract.census_day(year - 1) <= last_known)


def active_on(plan: dict, day: dt.date) -> bool:
    """The plan is active on the day (silver_census_state's rule)."""
    return plan["start_date"] <= day and (plan["cease_date"] is None or plan["cease_date"] > day)


def known_on(file_name: str, row: dict, day: dt.date) -> dict | None:
    """The row as the case-management system knew it on ``day`` (None: not yet there)."""
    rule = VISIBILITY[file_name]
    appears = row.get(rule.appears)
    if isinstance(appears, dt.date) and appears > day:
        return None
    shown = dict(row)
    for date_field, revealed in rule.later:
        known = row.get(date_field)
        if isinstance(known, dt.date) and known > day:
            shown.update({name: None for name in revealed})
    return shown


class ReturnBuilder:
    """Records of one annual return, added a child at a time in document order."""

    def __init__(self, collection: Collection, la_code: str):
        self.collection = collection
        self.la_code = la_code
        self.result = Sen2Return("sample")
        census = collection.census
        self.result.add(Record("header", 1, {
            "collection": "SEN2", "year": str(collection.year), "referencedate": _iso(census),
            "sourcelevel": "L", "lea": la_code, "softwarecode": SOFTWARE_CODE, "release": "1",
            "serialno": "1", "datetime": f"{_iso(collection.extract_date)}T02:30:00"}))

    @property
    def year(self) -> int:
        return self.collection.year

    def add_child(self, record: PersonRecord) -> None:
        census = self.collection.census
        if not self._may_hold(record.person):
            return
        plans = record.rows.get("named_plan.csv", [])
        assessments = {a["request_id"]: a for a in record.rows.get("assessment.csv", [])}
        plan_of = {p["assessment_id"]: p for p in plans if p["assessment_id"] is not None}
        requests = []
        for request in record.rows.get("request.csv", []):
            assessment = assessments.get(request["request_id"])
            plan = plan_of.get(assessment["assessment_id"]) if assessment else None
            if self._in_return(request, assessment, plan):
                requests.append((request, assessment, plan))
        carried = [p for p in plans if p["assessment_id"] is None and active_on(p, census)]
        if not requests and not carried:
            return
        person = self._add("person", self._person_values(record.person), 1, None)
        for request, assessment, plan in requests:
            self._request(record, person, request, assessment, plan)
        for plan in carried:
            self._carried_plan(record, person, plan)

    # -- scope ---------------------------------------------------------------------------
    def _may_hold(self, person) -> bool:
        """A return holds people up to 26 on census day (validate.py's date window): a plan that
        ended at 25 in the calendar year can belong to someone older by census day."""
        earliest, _ = date_window(spec.item("person", "personbirthdate", self.year), self.collection.census)
        return person.date_of_birth >= earliest

    def _in_return(self, request: dict, assessment: dict | None, plan: dict | None) -> bool:
        c = self.collection
        received = request["received_date"]
        if received > c.census:
            return False
        if c.calendar_year_start <= received <= c.calendar_year_end:
            return True
        if plan and (active_on(plan, c.census) or _between(plan["cease_date"], c.calendar_year_start, c.census)):
            return True
        return received < c.calendar_year_start and _open_on(request, assessment, c.calendar_year_start)

    # -- records -------------------------------------------------------------------------
    def _person_values(self, person) -> dict:
        values = {"surname": person.surname, "forename": person.forename,
                  "personbirthdate": _iso(person.date_of_birth), "ethnicity": person.ethnicity or None,
                  "postcode": person.postcode, "upn": person.upn or None,
                  "uniquelearnernumber": person.uln or None, "upnunknown": None}
        if self.year >= 2025:
            values["sex"] = person.sex
        else:
            values["gendercurrent"] = _GENDER_CURRENT[person.sex]
        if not person.upn and not person.uln:
            reception = person.date_of_birth.year + (5 if person.date_of_birth.month >= 9 else 4)
            # UN1: not yet of school age; UN2: otherwise not known (check the code list, spec.py)
            values["upnunknown"] = "UN1" if reception > self.collection.census.year else "UN2"
        return values

    def _request(self, record, person: Record, request: dict, assessment: dict | None,
                 plan: dict | None) -> None:
        census = self.collection.census
        shown = known_on("request.csv", request, census)
        node = self._add("requests", {
            "receiveddate": _iso(shown["received_date"]), "rya": _BOOLEAN[shown["rya"]],
            "requestoutcomedate": _iso(shown["request_outcome_date"]),
            "requestoutcome": shown["request_outcome"] or None,
            "requestmediation": "0", "requesttribunal": "0", "exported": "0"},
            person.position, person.position)
        shown_assessment = assessment and known_on("assessment.csv", assessment, census)
        if shown_assessment:
            self._assessment(record, person, node, shown_assessment, plan)
        if plan and active_on(plan, census):
            self._active_plan(record, person, node, plan)

    def _assessment(self, record, person: Record, request: Record, assessment: dict,
                    plan: dict | None) -> None:
        census = self.collection.census
        node = self._add("assessment", {
            "assessmentoutcome": assessment["assessment_outcome"] or None,
            "assessmentoutcomedate": _iso(assessment["assessment_outcome_date"]),
            "week20": _BOOLEAN.get(assessment["week20_exception"] or "")},
            request.position, person.position)
        shown_plan = plan and known_on("named_plan.csv", plan, census)
        if not shown_plan:
            return
        named = self._add("named_plan", {
            "startdate": _iso(shown_plan["start_date"]), "ceasedate": _iso(shown_plan["cease_date"]),
            "ceasereason": shown_plan["cease_reason"] or None},
            node.position, person.position)
        first = min(_placements(record, plan["plan_id"]), key=lambda p: p["entry_date"], default=None)
        if first is not None:
            self._add("plan_detail", {**_setting(first), "placementrank": str(first["placement_rank"]),
                                      **_indicators(first)}, named.position, person.position)

    def _carried_plan(self, record, person: Record, plan: dict) -> None:
        """A plan with no request in the case history: a request dated on its start carries it."""
        node = self._add("requests", {
            "receiveddate": _iso(max(plan["start_date"], spec.EHCP_START)),
            "rya": "1" if age_on(record.person.date_of_birth, plan["start_date"]) >= 19 else "0",
            "requestmediation": "0", "requesttribunal": "0", "exported": "0"},
            person.position, person.position)
        self._active_plan(record, person, node, plan)

    def _active_plan(self, record, person: Record, request: Record, plan: dict) -> None:
        c = self.collection
        values = {"transferla": _transfer_la(record, plan)}
        review = _latest_review(record, plan["plan_id"], c.census)
        if review is not None:
            decided = known_on("annual_review.csv", review, c.census)
            values["lastreview"] = _iso(decided["review_decision_date"])
            if self.year >= 2025:
                values["reviewmeeting"] = _iso(review["review_meeting_date"])
                values["reviewoutcome"] = decided["review_outcome"] or None
        node = self._add("active_plans", values, request.position, person.position)
        for placement in _placements(record, plan["plan_id"]):
            shown = known_on("placement.csv", placement, c.census)
            if shown and (shown["leaving_date"] is None or shown["leaving_date"] >= c.calendar_year_start):
                self._add("placement_detail", {
                    **_setting(shown), "placementrank": str(shown["placement_rank"]),
                    "entrydate": _iso(max(shown["entry_date"], spec.EHCP_START)),
                    "leavingdate": _iso(shown["leaving_date"]), **_indicators(shown)},
                    node.position, person.position)
        for need in record.rows.get("sen_need.csv", []):
            if need["plan_id"] == plan["plan_id"]:
                code = need["sen_type"] if self.year >= 2025 or need["sen_type"] != "DS" else "OTH"
                self._add("sen_need", {"sentype": code, "sentyperank": str(need["sen_type_rank"])},
                          node.position, person.position)

    def _add(self, module: str, values: dict, parent: int | None, person: int | None) -> Record:
        position = len(self.result.records[module]) + 1
        record = Record(module, position, values, parent, person or position)
        self.result.add(record)
        return record


# -- helpers ---------------------------------------------------------------------------
def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _between(day: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return day is not None and first <= day <= last


def _open_on(request: dict, assessment: dict | None, day: dt.date) -> bool:
    """The request was still being decided on ``day`` (no outcome yet, or its assessment not)."""
    decided = request["request_outcome_date"]
    if decided is None or decided >= day:
        return True
    concluded = assessment and assessment["assessment_outcome_date"]
    return bool(assessment) and (concluded is None or concluded >= day)


def _placements(record: PersonRecord, plan_id: int) -> list[dict]:
    return [p for p in record.rows.get("placement.csv", []) if p["plan_id"] == plan_id]


def _latest_review(record: PersonRecord, plan_id: int, day: dt.date) -> dict | None:
    held = [r for r in record.rows.get("annual_review.csv", [])
            if r["plan_id"] == plan_id and r["review_meeting_date"] <= day]
    return max(held, key=lambda r: r["review_meeting_date"], default=None)


def _setting(placement: dict) -> dict:
    return {"urn": placement["urn"] or None, "ukprn": placement["ukprn"] or None,
            "sensetting": None if (placement["urn"] or placement["ukprn"]) else placement["sen_setting"] or None}


def _indicators(placement: dict) -> dict:
    return {"senunitindicator": _BOOLEAN.get(placement["sen_unit_indicator"] or ""),
            "resourcedprovisionindicator": _BOOLEAN.get(placement["resourced_provision_indicator"] or "")}


def _transfer_la(record: PersonRecord, plan: dict) -> str | None:
    """The LA a plan came from: plans the generator transferred in (no assessment, started
    within its history); a neighbouring council, the same one for a child every year."""
    if plan["assessment_id"] is not None or plan["start_date"] < HISTORY_START:
        return None
    return geography.NEIGHBOUR_LAS[record.person.person_id % len(geography.NEIGHBOUR_LAS)][0]


# -- writing ---------------------------------------------------------------------------
class Sen2Returns:
    """The sample's annual returns, filled a child at a time, then written in one format."""

    def __init__(self, la_code: str | None = None):  # None: the sample council's (geography)
        self.builders = [ReturnBuilder(c, la_code or geography.LA_CODE) for c in collections()]

    def add_child(self, record: PersonRecord) -> None:
        for builder in self.builders:
            builder.add_child(record)

    def write(self, out: Path, input_format: str) -> dict[str, int]:
        """One folder per return; rows per file written (the manifest's row counts)."""
        if input_format not in FORMATS:
            raise ValueError(f"unknown SEN2 format {input_format!r}: one of {', '.join(FORMATS)}")
        counts = {}
        for builder in self.builders:
            c = builder.collection
            folder = Path(out) / LANDING_SEN2 / c.extract_date.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            relative = folder.relative_to(out).as_posix()
            if input_format == "sen2-xml":
                path = write_xml(builder.result, folder / f"SEN2_{c.year}_{builder.la_code}.xml")
                counts[f"{relative}/{path.name}"] = len(builder.result.records["person"])
            else:
                paths = write_blade(blade_dates(builder.result), folder, c.extract_date)
                for module, path in paths.items():
                    counts[f"{relative}/{path.name}"] = len(builder.result.records[module])
            (folder / contract.SYNERGY_SUCCESS_MARKER).write_bytes(b"")
        return counts


def blade_dates(result: Sen2Return) -> Sen2Return:
    """The same return with its dates as COLLECT's Blade export writes them
    (``2025-Jan-16 00:00:00``)."""
    converted = Sen2Return(result.format)
    for module, records in result.records.items():
        dates = {i.name for i in spec.ITEMS if i.module == module and i.kind == "date"}
        for r in records:
            values = {k: _blade_date(v) if k in dates and v else v for k, v in r.values.items()}
            converted.add(Record(r.module, r.position, values, r.parent, r.person))
    return converted


def _blade_date(text: str) -> str:
    day = dt.date.fromisoformat(text)
    return f"{day.year}-{_MONTHS[day.month - 1]}-{day.day:02d} 00:00:00"
