"""The case-load simulation: one child at a time, from request to plan, placements,
reviews and cessation. Each child's rows are handed to a sink and forgotten, so memory
stays bounded at any scale; only SRP spells (needed for the school returns) are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from orchestration.sample_data.people import Person, UpnIssuer, make_person, uln_for
from orchestration.sample_data.placements import (
    TRANSITION_YEARS, Setting, SettingChooser, census_years_between, stage_of,
)
from orchestration.sample_data.scenario import (
    EXTRACT_DATES, HISTORY_START, SIMULATION_END, Scenario, Weighted, academic_year_of, age_on,
    nc_year, term_end, term_start, year_end, year_start,
)
from orchestration.sample_data.schools import SchoolRegister
from orchestration.sample_data.srps import Srp, SrpRegister

LEGACY_PLANS_AT_SCALE_ONE = 12800  # plans already running when the request history starts
REQUESTS_PER_YEAR = {2020: 4000, 2021: 4300, 2022: 4600, 2023: 4900, 2024: 5200, 2025: 5400}
TRANSFERS_IN_PER_YEAR = 120
LAST_NATURAL_DAY = EXTRACT_DATES[0] - dt.timedelta(days=1)  # later events only via night-2 changes

REFUSAL_RATE = {2020: 0.26, 2021: 0.30, 2022: 0.27, 2023: 0.26, 2024: 0.28, 2025: 0.28}
WITHDRAWN_RATE = 0.03
RE_REQUEST_RATE = 0.12
ASSESSMENT_OUTCOME = Weighted({"I": 90, "N": 8, "W": 2})
# Share of plans issued within 20 weeks, by calendar year of the request (Kent: 30-60%).
TIMELY_RATE = {2020: 0.33, 2021: 0.40, 2022: 0.42, 2023: 0.50, 2024: 0.56, 2025: 0.45}
REQUEST_SOURCE = Weighted({"1": 45, "2": 40, "3": 8, "4": 4, "5": 3})
AGE_AT_REQUEST = Weighted({0: 1, 1: 2, 2: 5, 3: 9, 4: 11, 5: 10, 6: 8, 7: 7, 8: 6, 9: 6, 10: 6,
                           11: 5, 12: 4, 13: 4, 14: 4, 15: 4, 16: 3, 17: 2, 18: 1.5, 19: 1, 20: 0.8,
                           21: 0.4, 22: 0.3})
AGE_OF_LEGACY_PLAN = Weighted({age: w for age, w in zip(
    range(2, 25), (1, 2, 3, 5, 6, 7, 7, 8, 8, 8, 8, 8, 8, 7, 7, 6, 5, 4, 3, 2, 1.5, 1, 0.5))})
CEASE_REASONS = {
    "child": Weighted({"2": 40, "5": 25, "7": 5, "9": 18, "6": 10, "8": 2}),
    "teen": Weighted({"2": 18, "4": 15, "6": 25, "5": 15, "9": 20, "3": 5, "7": 2}),
    "adult": Weighted({"3": 20, "4": 25, "6": 25, "2": 10, "5": 5, "9": 15}),
}
REVIEW_OUTCOME = Weighted({"M": 62, "A": 38})
ON_TIME_REVIEW_SHARE = 0.5  # the rest slip by up to a year: ~80% reviewed within 12 months
NO_UPN_SHARE = 0.03


def cease_hazard(age: int) -> float:
    if age < 16:
        return 0.045
    return {16: 0.09, 17: 0.12, 18: 0.16}.get(age, 0.21)


@dataclass
class SrpSpell:
    """A child's time in one SRP: what the school return is built from."""
    srp: Srp
    person_id: int
    upn: str
    date_of_birth: dt.date
    entry: dt.date
    leaving: dt.date | None
    destination: str | None  # contract.RETURN_DESTINATION_CODES, when the child left
    review_dates: list[dt.date]


@dataclass
class PersonRecord:
    person: Person
    rows: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, file_name: str, row: dict) -> dict:
        self.rows.setdefault(file_name, []).append(row)
        return row


class Ids:
    def __init__(self):
        self._next = {"person": 100001, "request": 500001, "assessment": 700001, "plan": 300001,
                      "placement": 900001, "review": 2000001}

    def next(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value


class CaseLoad:
    def __init__(self, scenario: Scenario, schools: SchoolRegister, srps: SrpRegister):
        self.scenario = scenario
        self.rng = scenario.rng("caseload")
        self.schools = schools
        self.chooser = SettingChooser(self.rng, schools, srps)
        self.upns = UpnIssuer()
        self.ids = Ids()
        self.spells: list[SrpSpell] = []

    # -- the stream ----------------------------------------------------------------
    def records(self):
        """Every child, oldest records first (person ids grow with time)."""
        for _ in range(self.scenario.count(LEGACY_PLANS_AT_SCALE_ONE, minimum=50)):
            yield self.legacy_child()
        for year, requests in REQUESTS_PER_YEAR.items():
            last_day = min(year_end(year), LAST_NATURAL_DAY)
            share = (last_day - year_start(year)).days / 365
            arrivals = [(self._day_in(year_start(year), last_day), "request")
                        for _ in range(self.scenario.count(requests * share, minimum=2))]
            arrivals += [(self._day_in(year_start(year), last_day), "transfer")
                         for _ in range(self.scenario.count(TRANSFERS_IN_PER_YEAR * share))]
            for day, kind in sorted(arrivals):
                yield self.requested_child(day) if kind == "request" else self.transferred_child(day)

    def legacy_child(self) -> PersonRecord:
        age = AGE_OF_LEGACY_PLAN.pick(self.rng)  # age when the request history starts
        record = self._new_record(self._birth_date(HISTORY_START, age), None)
        earliest = max(record.person.date_of_birth + dt.timedelta(days=730),
                       HISTORY_START - dt.timedelta(days=9 * 365))
        start = self._day_in(earliest, HISTORY_START - dt.timedelta(days=1))
        record.person.first_seen = start
        self._plan(record, start, assessment_id=None)
        return self._finish(record)

    def requested_child(self, received: dt.date) -> PersonRecord:
        record = self._new_record(self._birth_date(received, AGE_AT_REQUEST.pick(self.rng)), received)
        self._request(record, received, REFUSAL_RATE[academic_year_of(received)], re_request=True)
        return self._finish(record)

    def transferred_child(self, start: dt.date) -> PersonRecord:
        record = self._new_record(self._birth_date(start, AGE_OF_LEGACY_PLAN.pick(self.rng)), start)
        self._plan(record, start, assessment_id=None)
        return self._finish(record)

    def pending_request(self, received: dt.date) -> PersonRecord:
        """A request keyed in on ``received`` with no decision yet (night-2 changes)."""
        record = self._new_record(self._birth_date(received, AGE_AT_REQUEST.pick(self.rng)), received)
        record.add("request.csv", self._request_row(record, received, "", None))
        return self._finish(record)

    # -- building blocks -----------------------------------------------------------
    def _new_record(self, date_of_birth: dt.date, first_seen: dt.date | None) -> PersonRecord:
        person = make_person(self.rng, self.ids.next("person"), date_of_birth)
        person.first_seen = first_seen
        return PersonRecord(person)

    def _birth_date(self, day: dt.date, age: int) -> dt.date:
        return day - dt.timedelta(days=round(age * 365.25) + self.rng.randint(0, 364))

    def _day_in(self, first: dt.date, last: dt.date) -> dt.date:
        """A weekday between two dates (council business happens on weekdays)."""
        day = first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return max(day, first)

    def _request_row(self, record, received, outcome, outcome_date) -> dict:
        age = age_on(record.person.date_of_birth, received)
        return {"request_id": self.ids.next("request"), "person_id": record.person.person_id,
                "received_date": received, "request_source": REQUEST_SOURCE.pick(self.rng),
                "rya": "Y" if age >= 19 else "N", "request_outcome": outcome,
                "request_outcome_date": outcome_date}

    def _request(self, record: PersonRecord, received: dt.date, refusal_rate: float, re_request: bool):
        rng = self.rng
        decided = received + dt.timedelta(days=rng.randint(25, 48))
        roll = rng.random()
        outcome = "N" if roll < refusal_rate else "W" if roll < refusal_rate + WITHDRAWN_RATE else "A"
        row = record.add("request.csv", self._request_row(record, received, outcome, decided))
        if outcome == "A":
            self._assessment(record, row)
        elif outcome == "N" and re_request and rng.random() < RE_REQUEST_RATE:
            again = self._day_in(decided + dt.timedelta(days=120), decided + dt.timedelta(days=540))
            if again <= SIMULATION_END:
                self._request(record, again, refusal_rate / 2, re_request=False)

    def _assessment(self, record: PersonRecord, request: dict):
        rng = self.rng
        received = request["received_date"]
        outcome = ASSESSMENT_OUTCOME.pick(rng)
        if outcome == "I":
            timely = rng.random() < TIMELY_RATE.get(received.year, 0.45)
            days = rng.randint(98, 140) if timely else 140 + int(rng.expovariate(1 / 45)) + 1
            exception = rng.random() < (0.02 if timely else 0.12)
        else:
            days, exception = rng.randint(84, 126), False
        decided = received + dt.timedelta(days=days)
        assessment_id = self.ids.next("assessment")
        record.add("assessment.csv", {
            "assessment_id": assessment_id, "request_id": request["request_id"],
            "assessment_outcome": outcome, "assessment_outcome_date": decided,
            "week20_exception": "Y" if exception else "N",
            "_start": request["request_outcome_date"],
        })
        if outcome == "I":
            self._plan(record, decided, assessment_id)

    def _plan(self, record: PersonRecord, start: dt.date, assessment_id: int | None):
        person = record.person
        cease, reason = self._cessation(person, max(start, HISTORY_START))
        plan_id = self.ids.next("plan")
        record.add("named_plan.csv", {
            "plan_id": plan_id, "person_id": person.person_id, "assessment_id": assessment_id,
            "start_date": start, "cease_date": cease, "cease_reason": reason})
        for rank, need in enumerate(person.needs, start=1):
            record.add("sen_need.csv", {"plan_id": plan_id, "sen_type": need, "sen_type_rank": rank,
                                        "_start": start})
        reviews = self._reviews(record, plan_id, start, cease, reason)
        self._placements(record, plan_id, start, cease, [r["review_meeting_date"] for r in reviews])

    def _cessation(self, person: Person, start: dt.date) -> tuple[dt.date | None, str]:
        """When and why the plan ends; plans older than the history are still running then."""
        rng = self.rng
        for year in range(academic_year_of(start), academic_year_of(SIMULATION_END) + 1):
            first = max(year_start(year), start + dt.timedelta(days=90))
            if first > year_end(year):
                continue
            age = age_on(person.date_of_birth, year_start(year))
            if age >= 24:  # plans end at the end of the academic year the young person turns 25
                return self._day_in(term_end(year), year_end(year)), "1"
            if rng.random() < cease_hazard(age):
                group = "child" if age < 16 else "teen" if age < 19 else "adult"
                if group != "child" and rng.random() < 0.6:
                    first = max(first, term_end(year) - dt.timedelta(days=20))
                return self._day_in(first, year_end(year)), CEASE_REASONS[group].pick(rng)
        return None, ""

    def _reviews(self, record, plan_id, start, cease, reason) -> list[dict]:
        rng = self.rng
        end = min(cease or SIMULATION_END, SIMULATION_END)
        reviews, meeting = [], start
        while True:
            on_time = rng.random() < ON_TIME_REVIEW_SHARE
            meeting += dt.timedelta(days=rng.randint(300, 364) if on_time else rng.randint(380, 700))
            while meeting.weekday() >= 5:
                meeting += dt.timedelta(days=1)
            if meeting >= end:
                break
            reviews.append(record.add("annual_review.csv", {
                "review_id": self.ids.next("review"), "plan_id": plan_id,
                "review_meeting_date": meeting, "review_outcome": REVIEW_OUTCOME.pick(rng),
                "review_decision_date": meeting + dt.timedelta(days=rng.randint(3, 35))}))
        if cease and reviews and reason not in ("5", "7", "8") and (cease - reviews[-1]["review_meeting_date"]).days < 150:
            reviews[-1]["review_outcome"] = "C"
        return reviews

    # -- placements ----------------------------------------------------------------
    def _placements(self, record, plan_id, start, cease, review_dates):
        person = record.person
        plan_end = cease or SIMULATION_END + dt.timedelta(days=1)
        segments = self._segments(person, start, plan_end)
        for index, (setting, entry, leaving) in enumerate(segments):
            record.add("placement.csv", _placement_row(self.ids.next("placement"), plan_id,
                                                       setting, entry, leaving))
            if setting.kind == "srp":
                after = segments[index + 1][0] if index + 1 < len(segments) else None
                self._record_spell(person, setting, entry, leaving, after, review_dates)

    def _segments(self, person: Person, start: dt.date, plan_end: dt.date):
        """(setting, entry, leaving) for the plan's life, leaving None while ongoing."""
        chooser, rng = self.chooser, self.rng
        year = academic_year_of(start)
        setting = chooser.first(person, stage_of(nc_year(person.date_of_birth, year)), start, plan_end)
        segments, entry = [], start
        while True:
            stage = stage_of(nc_year(person.date_of_birth, year))
            move_day = self._day_in(max(entry, year_start(year)) + dt.timedelta(days=20),
                                    year_end(year) - dt.timedelta(days=45))
            if entry < move_day < plan_end:
                moved = chooser.mid_year_move(person, stage, setting, move_day, plan_end)
                if moved:
                    segments.append((setting, entry, move_day - dt.timedelta(days=rng.randint(1, 10))))
                    setting, entry = moved, move_day
            year += 1
            transfer_day = term_start(year)
            if transfer_day >= plan_end or transfer_day > SIMULATION_END:
                break
            stage = TRANSITION_YEARS.get(nc_year(person.date_of_birth, year))
            if stage:
                following = chooser.at_transition(person, stage, setting, transfer_day, plan_end)
                if following is not setting:
                    segments.append((setting, entry, term_end(year - 1)))
                    setting, entry = following, transfer_day
        segments.append((setting, entry, plan_end if plan_end <= SIMULATION_END else None))
        return segments

    def _record_spell(self, person, setting: Setting, entry, leaving, after: Setting | None,
                      review_dates):
        for year in census_years_between(entry, leaving):
            setting.srp.on_roll[year] = setting.srp.on_roll.get(year, 0) + 1
        self.spells.append(SrpSpell(
            srp=setting.srp, person_id=person.person_id, upn="", date_of_birth=person.date_of_birth,
            entry=entry, leaving=leaving,
            destination=_destination(after) if leaving else None, review_dates=review_dates))

    # -- identifiers ---------------------------------------------------------------
    def _finish(self, record: PersonRecord) -> PersonRecord:
        person = record.person
        person.upn = self._upn(record)
        if age_on(person.date_of_birth, EXTRACT_DATES[0]) >= 15 and self.rng.random() < 0.9:
            person.uln = uln_for(person.person_id)
        for spell in reversed(self.spells):
            if spell.person_id != person.person_id:
                break
            spell.upn = person.upn
        return record

    def _upn(self, record: PersonRecord) -> str:
        person = record.person
        reception = person.date_of_birth.year + (5 if person.date_of_birth.month >= 9 else 4)
        in_srp = any(p["resourced_provision_indicator"] == "Y" for p in record.rows.get("placement.csv", ()))
        if reception > EXTRACT_DATES[0].year or (not in_srp and self.rng.random() < NO_UPN_SHARE):
            return ""  # SRP schools always know the UPN: returns are matched on it
        first_school = next((self.schools.by_urn.get(p["urn"]) for p in record.rows.get("placement.csv", [])
                             if p["urn"]), None)
        if first_school is None:
            first_school = self.rng.choice(self.schools.in_district("primary", person.school_district))
        return self.upns.issue(first_school.la_code, first_school.establishment_number, reception)


def _placement_row(placement_id: int, plan_id: int, setting: Setting, entry, leaving) -> dict:
    school = setting.school
    at_school = school is not None
    return {
        "placement_id": placement_id, "plan_id": plan_id,
        "urn": school.urn if at_school and not school.uses_ukprn else "",
        "ukprn": school.ukprn if at_school and school.uses_ukprn else "",
        "sen_setting": setting.sen_setting, "placement_rank": 1,
        "entry_date": entry, "leaving_date": leaving,
        "sen_unit_indicator": "N" if at_school else "",
        "resourced_provision_indicator": ("Y" if setting.srp else "N") if at_school else "",
        "srp_designation": setting.srp.designation if setting.srp else "",
    }


def _destination(after: Setting | None) -> str:
    if after is None:
        return "other"
    if after.kind == "srp":
        return "secondary SRP" if after.srp.phase == "Secondary" else "mainstream"
    if after.school is not None and not after.school.in_kent:
        return "other LA"
    return {"mainstream": "mainstream", "special": "special school",
            "independent": "independent/non-maintained"}.get(after.kind, "other")
