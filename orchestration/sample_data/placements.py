"""Where a child with a plan is educated: a small state machine over school stages.

Settings change at the stage transitions (Reception, Year 7, Year 12, age 19) and
occasionally mid-year. Mainstream choices for children whose need matches an SRP
designation may become SRP places, limited by each SRP's occupancy target.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from orchestration import contract
from orchestration.sample_data import geography
from orchestration.sample_data.people import Person
from orchestration.sample_data.scenario import REGISTER_YEARS, Weighted, academic_year_of, nc_year
from orchestration.sample_data.schools import School, SchoolRegister
from orchestration.sample_data.srps import Srp, SrpRegister

SCHOOL_KINDS = ("mainstream", "srp", "special", "independent", "ooc", "fe", "post16")
CENSUS_DAYS = {year: contract.census_day(year) for year in range(2000, 2030)}


@dataclass
class Setting:
    kind: str  # one of SCHOOL_KINDS or "other"
    school: School | None = None
    sen_setting: str = ""
    srp: Srp | None = None


def stage_of(nc: int) -> str:
    if nc < 0:
        return "ey"
    if nc <= 6:
        return "primary"
    if nc <= 11:
        return "secondary"
    return "post16" if nc <= 14 else "adult"


TRANSITION_YEARS = {0: "primary", 7: "secondary", 12: "post16", 15: "adult"}

FRESH = {
    "ey": Weighted({"other": 50, "mainstream": 32, "special": 15, "independent": 3}),
    "primary": Weighted({"mainstream": 70, "special": 16, "independent": 5, "ooc": 3, "other": 6}),
    "secondary": Weighted({"mainstream": 52, "special": 26, "independent": 11, "ooc": 3, "other": 8}),
    "post16": Weighted({"fe": 48, "mainstream": 14, "special": 13, "post16": 13, "independent": 2, "other": 10}),
    "adult": Weighted({"fe": 50, "post16": 22, "other": 28}),
}
# (stage entered, setting before) -> next setting
AT_TRANSITION = {
    ("primary", "mainstream"): Weighted({"mainstream": 85, "special": 11, "independent": 4}),
    ("primary", "special"): Weighted({"special": 92, "independent": 5, "mainstream": 3}),
    ("primary", "independent"): Weighted({"independent": 70, "special": 25, "mainstream": 5}),
    ("secondary", "mainstream"): Weighted({"mainstream": 55, "special": 27, "independent": 12, "ooc": 2, "other": 4}),
    ("secondary", "special"): Weighted({"special": 100}),
    ("secondary", "independent"): Weighted({"independent": 85, "special": 12, "mainstream": 3}),
    ("secondary", "ooc"): Weighted({"ooc": 60, "mainstream": 20, "special": 20}),
    ("secondary", "other"): Weighted({"mainstream": 40, "special": 20, "independent": 10, "other": 30}),
    ("post16", "mainstream"): Weighted({"fe": 55, "mainstream": 25, "post16": 7, "other": 13}),
    ("post16", "srp"): Weighted({"fe": 55, "mainstream": 25, "post16": 10, "other": 10}),
    ("post16", "special"): Weighted({"special": 62, "fe": 18, "post16": 10, "independent": 4, "other": 6}),
    ("post16", "independent"): Weighted({"independent": 45, "post16": 30, "fe": 20, "other": 5}),
    ("post16", "ooc"): Weighted({"ooc": 40, "fe": 40, "other": 20}),
    ("post16", "other"): Weighted({"fe": 45, "other": 55}),
    ("adult", "special"): Weighted({"fe": 40, "post16": 35, "other": 25}),
    ("adult", "fe"): Weighted({"fe": 80, "post16": 5, "other": 15}),
    ("adult", "post16"): Weighted({"post16": 80, "fe": 10, "other": 10}),
    ("adult", "independent"): Weighted({"post16": 55, "fe": 30, "other": 15}),
    ("adult", "mainstream"): Weighted({"fe": 60, "post16": 10, "other": 30}),
    ("adult", "ooc"): Weighted({"ooc": 30, "fe": 40, "other": 30}),
    ("adult", "other"): Weighted({"other": 60, "fe": 40}),
}
# yearly chance of a mid-year move, and where to
MOVES = {
    "mainstream": (0.05, Weighted({"special": 55, "independent": 15, "mainstream": 20, "other": 10})),
    "srp": (0.03, Weighted({"mainstream": 50, "special": 40, "independent": 10})),
    "special": (0.02, Weighted({"independent": 60, "special": 40})),
    "independent": (0.02, Weighted({"special": 60, "independent": 40})),
    "ooc": (0.03, Weighted({"mainstream": 50, "special": 50})),
    "fe": (0.04, Weighted({"other": 60, "post16": 40})),
    "post16": (0.03, Weighted({"fe": 50, "other": 50})),
    "other": (0.15, Weighted({"mainstream": 50, "special": 30, "other": 20})),
}
OTHER_SETTINGS = {
    "ey": Weighted({"EYP": 90, "OTH": 10}),
    "school": Weighted({"EHE": 50, "OTH": 25, "OLA": 15, "OPA": 10}),
    "post16": Weighted({"NEET": 45, "OTH": 25, "OPA": 10, "EHE": 5, "OLA": 5, "NIEC": 5, "NIEO": 5}),
}
SRP_UPTAKE = 0.65  # chance a mainstream choice becomes an SRP request when the need matches
SPECIALIST_SRP_NEEDS = frozenset({"HI", "VI", "PD"})
SPECIALIST_SRP_UPTAKE = 0.9
# Year 6 SRP pupils who continue to a secondary SRP; lower where secondary places are short.
SRP_CONTINUATION = {"short": 0.45, "other": 0.85}
SRP_NOT_CONTINUING = Weighted({"special": 50, "independent": 25, "mainstream": 25})


class SettingChooser:
    def __init__(self, rng: random.Random, schools: SchoolRegister, srps: SrpRegister):
        self.rng = rng
        self.schools = schools
        self.srps = srps

    # -- kinds ---------------------------------------------------------------------
    def first(self, person: Person, stage: str, day: dt.date, plan_end: dt.date) -> Setting:
        return self._setting(person, stage, FRESH[stage].pick(self.rng), day, plan_end)

    def at_transition(self, person: Person, stage: str, prior: Setting, day: dt.date,
                      plan_end: dt.date) -> Setting:
        if stage == "secondary" and prior.kind == "srp":
            return self._after_primary_srp(person, prior, day, plan_end)
        table = AT_TRANSITION.get((stage, prior.kind)) or FRESH[stage]
        kind = table.pick(self.rng)
        if kind == prior.kind and self._serves(prior, stage):
            return prior
        return self._setting(person, stage, kind, day, plan_end)

    def mid_year_move(self, person: Person, stage: str, prior: Setting, day: dt.date,
                      plan_end: dt.date) -> Setting | None:
        chance, table = MOVES[prior.kind]
        if self.rng.random() >= chance:
            return None
        return self._setting(person, stage, table.pick(self.rng), day, plan_end)

    def _serves(self, setting: Setting, stage: str) -> bool:
        """Can the child stay where they are into the next stage?"""
        if setting.kind == "mainstream":
            return stage in ("post16",) and setting.school.kind == "secondary"
        if setting.kind in ("special", "independent"):
            return stage != "adult"
        return setting.kind in ("ooc", "fe", "post16", "other") and stage != "primary"

    def _after_primary_srp(self, person, prior: Setting, day, plan_end) -> Setting:
        short = person.school_district in geography.SHORT_SECONDARY_DISTRICTS
        if self.rng.random() < SRP_CONTINUATION["short" if short else "other"]:
            srp = self._find_srp(person, "Secondary", prior.srp.designation, day, plan_end, soft=True)
            if srp:
                return Setting("srp", srp.school, srp=srp)
        return self._setting(person, "secondary", SRP_NOT_CONTINUING.pick(self.rng), day, plan_end)

    # -- concrete settings ---------------------------------------------------------
    def _setting(self, person: Person, stage: str, kind: str, day: dt.date, plan_end: dt.date) -> Setting:
        kind = _fit_to_stage(kind, stage)
        designation = self._srp_wanted(person) if kind == "mainstream" and stage in ("primary", "secondary") else None
        if designation:
            srp = self._find_srp(person, stage.capitalize(), designation, day, plan_end)
            if srp:
                return Setting("srp", srp.school, srp=srp)
        if kind == "other":
            group = "ey" if stage == "ey" else "school" if stage in ("primary", "secondary") else "post16"
            return Setting("other", sen_setting=OTHER_SETTINGS[group].pick(self.rng))
        return Setting(kind, self._school(person, stage, kind))

    def _srp_wanted(self, person: Person) -> str | None:
        """The designation of SRP the family and council look for, if any.

        Sensory and physical needs qualify even as a secondary need: those SRPs serve few
        children, so nearly every eligible one is offered a place.
        """
        for rank, need in enumerate(person.needs):
            if need not in self.srps.designations:
                continue
            specialist = need in SPECIALIST_SRP_NEEDS
            if rank == 0 or specialist:
                uptake = SPECIALIST_SRP_UPTAKE if specialist else SRP_UPTAKE
                return need if self.rng.random() < uptake else None
        return None

    def _school(self, person: Person, stage: str, kind: str) -> School:
        rng, schools = self.rng, self.schools
        if kind == "mainstream":
            phase_kind = "secondary" if stage in ("secondary", "post16") else "primary"
            if person.home_district == contract.OUT_OF_COUNTY and rng.random() < 0.6:
                return self._by_distance(person, schools.of_kind(phase_kind, in_kent=False), 5)
            return self._nearest_of(person, schools.in_district(phase_kind, person.school_district), 3)
        if kind == "ooc":
            ooc_kind = rng.choice(("secondary", "special") if stage == "secondary" else ("primary", "special"))
            return self._by_distance(person, schools.of_kind(ooc_kind, in_kent=False), 10)
        if kind == "independent" and rng.random() < 0.1:
            return self._by_distance(person, schools.of_kind("independent", in_kent=False), 12)
        reach_km = {"special": 5, "independent": 8, "fe": 5, "post16": 10}[kind]
        return self._by_distance(person, schools.of_kind(kind), reach_km)

    def _nearest_of(self, person: Person, schools: list[School], sample: int) -> School:
        picks = self.rng.sample(schools, min(sample, len(schools)))
        return min(picks, key=lambda s: geography.distance_km(person.location, s.point))

    def _by_distance(self, person: Person, schools: list[School], reach_km: float) -> School:
        picks = self.rng.sample(schools, min(16, len(schools)))
        weights = [math.exp(-geography.distance_km(person.location, s.point) / reach_km) + 1e-6
                   for s in picks]
        return self.rng.choices(picks, weights=weights)[0]

    def _find_srp(self, person: Person, phase: str, designation: str, day: dt.date,
                  plan_end: dt.date, soft: bool = False) -> Srp | None:
        years = _census_years_until_phase_end(person, phase, day, plan_end)
        district = person.school_district
        for reach, chance in (("district", 0.85), ("area", 0.6), ("county", 0.1)):
            if self.rng.random() >= chance:
                continue
            candidates = self.srps.candidates(phase, designation, district, reach)
            if len(candidates) > 12:
                candidates = self.rng.sample(candidates, 12)
            open_ones = [srp for srp in candidates if srp.has_room(years, soft)]
            if open_ones:
                weights = [math.exp(-geography.distance_km(person.location, srp.school.point) / 5) + 1e-6
                           for srp in open_ones]
                return self.rng.choices(open_ones, weights=weights)[0]
        return None


def _fit_to_stage(kind: str, stage: str) -> str:
    if kind == "srp":
        kind = "mainstream"
    if stage == "adult":
        return {"mainstream": "fe", "special": "post16", "independent": "post16"}.get(kind, kind)
    if stage == "ey":
        return {"fe": "other", "post16": "other", "ooc": "other"}.get(kind, kind)
    if stage in ("primary", "secondary") and kind in ("fe", "post16"):
        return "special"
    return kind


def _census_years_until_phase_end(person: Person, phase: str, day: dt.date, plan_end: dt.date) -> list[int]:
    """Register years an SRP place taken on ``day`` could last: to the end of the phase."""
    first = academic_year_of(day)
    last_nc = 6 if phase == "Primary" else 11
    last = first + max(0, last_nc - nc_year(person.date_of_birth, first))
    years = [first]
    for year in range(first + 1, last + 1):
        if CENSUS_DAYS[year] >= plan_end:
            break
        years.append(year)
    return [y for y in years if REGISTER_YEARS[0] <= y <= REGISTER_YEARS[-1]]


def census_years_between(start: dt.date, end: dt.date | None) -> list[int]:
    """Academic years whose census day falls on or after ``start`` and before ``end``."""
    first = academic_year_of(start)
    years = []
    for year in range(first, REGISTER_YEARS[-1] + 1):
        census = CENSUS_DAYS[year]
        if end is not None and census >= end:
            break
        if census >= start:
            years.append(year)
    return years
