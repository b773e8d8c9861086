"""The SRP register: designations, commissioned places, funding and occupancy limits."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import contract
from orchestration.contract import academic_year_folder, academic_year_label
from orchestration.sample_data import geography
from orchestration.sample_data.scenario import (
    REGISTER_YEARS, Scenario, Weighted, uk_date, year_end, year_start,
)
from orchestration.sample_data.schools import School, SchoolRegister

SRPS_AT_SCALE_ONE = 104
MINIMUM_SRPS = 8
DESIGNATIONS = Weighted({"ASD": 54, "SLCN": 26, "HI": 4, "VI": 2, "PD": 3, "SPLD": 5, "MLD": 6})
# Places per SRP (inclusive range) by phase and designation.
PLACE_RANGES = {
    ("Primary", "ASD"): (12, 22), ("Primary", "SLCN"): (10, 18),
    ("Secondary", "ASD"): (18, 32), ("Secondary", "SLCN"): (14, 22),
}
SPECIALIST_DESIGNATIONS = ("HI", "VI", "PD")
SPECIALIST_PLACES = (4, 9)
PLACE_FUNDING_GBP = 10000
SECOND_DESIGNATION_SHARE = 0.12  # chance a new SRP joins a school that already has one
SECONDARY_SHARE = 0.4
SECOND_DESIGNATION_INDEX = 4  # the fifth SRP shares the first one's (primary) school
# The 2024 cabinet decision: SLAs with SRP schools run to 31 August 2026.
LONG_SLA = (dt.date(2024, 9, 1), dt.date(2026, 8, 31))


@dataclass
class Srp:
    srp_id: str
    school: School
    designation: str
    phase: str  # Primary or Secondary
    top_up_gbp: int
    places: dict[int, int]  # academic year -> commissioned places (missing = not commissioned)
    occupancy_target: dict[int, float]
    on_roll: dict[int, int] = field(default_factory=dict)  # census-day pupils, by year

    @property
    def district(self) -> str:
        return self.school.district

    def limit(self, year: int, soft: bool = False) -> int:
        """Pupils the council will place for the year: the target, or 130% when continuing."""
        places = self.places.get(year, 0)
        return math.floor(places * (1.3 if soft else self.occupancy_target[year]) + 0.5)

    def has_room(self, years: list[int], soft: bool = False) -> bool:
        return all(year in self.places and self.on_roll.get(year, 0) < self.limit(year, soft)
                   for year in years)


class SrpRegister:
    def __init__(self, srps: list[Srp]):
        self.srps = srps
        self._by_district: dict[tuple[str, str, str], list[Srp]] = {}
        self._by_area: dict[tuple[str, str, str], list[Srp]] = {}
        self._county: dict[tuple[str, str], list[Srp]] = {}
        for srp in srps:
            area = geography.AREAS_BY_DISTRICT[srp.district]
            self._by_district.setdefault((srp.phase, srp.designation, srp.district), []).append(srp)
            self._by_area.setdefault((srp.phase, srp.designation, area), []).append(srp)
            self._county.setdefault((srp.phase, srp.designation), []).append(srp)
        self.designations = frozenset(srp.designation for srp in srps)
        self.by_school: dict[str, list[Srp]] = {}
        for srp in srps:
            self.by_school.setdefault(srp.school.urn, []).append(srp)

    def candidates(self, phase: str, designation: str, district: str, reach: str) -> list[Srp]:
        if reach == "district":
            return self._by_district.get((phase, designation, district), [])
        if reach == "area":
            area = geography.AREAS_BY_DISTRICT.get(district, "")
            return self._by_area.get((phase, designation, area), [])
        return self._county.get((phase, designation), [])


def build_srps(scenario: Scenario, schools: SchoolRegister) -> SrpRegister:
    rng = scenario.rng("srps")
    count = scenario.count(SRPS_AT_SCALE_ONE, minimum=MINIMUM_SRPS)
    # Keep occupancy realistic when a tiny scale still needs a minimum number of SRPs.
    place_factor = min(1.0, SRPS_AT_SCALE_ONE * scenario.scale / count)
    districts = {phase: _district_draws(rng, phase) for phase in ("Primary", "Secondary")}
    srps: list[Srp] = []
    for index, (phase, designation) in enumerate(_phase_designations(rng, count)):
        if index == SECOND_DESIGNATION_INDEX:  # at least one school holds two designations
            school = srps[0].school
        else:
            school = _pick_school(rng, schools, srps, phase, designation, next(districts[phase]))
        srps.append(_srp(rng, school, phase, designation, place_factor, steady=index < MINIMUM_SRPS))
    _mark_gias_provision(rng, srps)
    return SrpRegister(srps)


def _phase_designations(rng: random.Random, count: int):
    """Both phases and the two main designations first, so tiny scales still have them; from
    county size on, one each of the specialist designations the review asks about."""
    fixed = [("Primary", "ASD"), ("Secondary", "ASD"), ("Primary", "SLCN"), ("Secondary", "SLCN"),
             ("Primary", "SPLD")]
    if count >= SRPS_AT_SCALE_ONE // 2:
        fixed += [("Primary", "HI"), ("Secondary", "VI"), ("Secondary", "PD")]
    for index in range(count):
        if index < len(fixed):
            yield fixed[index]
        else:
            yield _phase(index), DESIGNATIONS.pick(rng)


def _phase(index: int) -> str:
    """Two SRPs in five are secondary, spread evenly through the list."""
    return "Secondary" if int((index + 1) * SECONDARY_SHARE) > int(index * SECONDARY_SHARE) else "Primary"


def _district_draws(rng: random.Random, phase: str):
    """Districts for new SRPs: every district once (weighted order) so small scales spread
    out, then population-weighted draws. Secondary SRPs are scarce in the six districts
    the review names.
    """
    weights = {
        district: weight * (0.35 if phase == "Secondary" and district in geography.SHORT_SECONDARY_DISTRICTS else 1.0)
        for district, weight in geography.DISTRICT_POPULATION.items()
    }
    yield from sorted(weights, key=lambda d: rng.random() ** (1 / weights[d]), reverse=True)
    draws = Weighted(weights)
    while True:
        yield draws.pick(rng)


def _pick_school(rng, schools: SchoolRegister, srps: list[Srp], phase: str, designation: str,
                 district: str) -> School:
    kind = phase.lower()
    taken = {srp.school.urn for srp in srps}
    designations_by_school = Counter(srp.school.urn for srp in srps)
    holders = [srp.school for srp in srps if srp.phase == phase and srp.district == district
               and srp.designation != designation and designations_by_school[srp.school.urn] == 1]
    if holders and rng.random() < SECOND_DESIGNATION_SHARE:
        return rng.choice(holders)
    free = [s for s in schools.in_district(kind, district) if s.urn not in taken]
    return rng.choice(free or schools.in_district(kind, district))


def _srp(rng, school: School, phase: str, designation: str, place_factor: float, steady: bool) -> Srp:
    srp_id = school.srp_id = f"SRP-{school.urn}"
    low, high = PLACE_RANGES.get((phase, designation), SPECIALIST_PLACES if designation in SPECIALIST_DESIGNATIONS
                                 else (6, 12) if phase == "Primary" else (8, 14))
    base = max(2, round(rng.randint(low, high) * place_factor))
    years = _commissioned_years(rng, steady)
    places, target = {}, {}
    occupancy = rng.triangular(0.6, 1.2, 1.0)
    for year in years:
        base = max(2, base + (rng.choice((-2, -1, 1, 2)) if rng.random() < 0.3 else 0))
        places[year] = base
        occupancy = min(1.2, max(0.6, occupancy + rng.uniform(-0.06, 0.06)))
        target[year] = occupancy
    return Srp(srp_id, school, designation, phase, _top_up(rng, phase, designation), places, target)


def _commissioned_years(rng, steady: bool) -> list[int]:
    """Most SRPs run all six years; a few open late or are decommissioned."""
    roll = rng.random()
    if steady or roll < 0.94:
        return list(REGISTER_YEARS)
    if roll < 0.97:
        return list(REGISTER_YEARS[rng.randint(1, 4):])  # opened later
    return list(REGISTER_YEARS[: rng.randint(3, 5)])  # decommissioned


def _top_up(rng, phase: str, designation: str) -> int:
    # With GBP 10k place funding on ~1,600 places, top-ups at these rates put the county
    # total near the ~GBP 22m a year the SRP review quotes.
    if designation in SPECIALIST_DESIGNATIONS:
        return rng.choice((6500, 7500, 8200, 9000))
    return rng.choice((3600, 4000, 4200, 4500) if phase == "Primary" else (4000, 4400, 5000))


def _mark_gias_provision(rng, srps: list[Srp]) -> None:
    """A few SRP schools also run an SEN unit (not commissioned through the register)."""
    for srp in srps:
        if srp.school.resourced_provision != "Not applicable":
            continue
        srp.school.resourced_provision = "Resourced provision"
        if rng.random() < 0.05:
            srp.school.resourced_provision = "Resourced provision and SEN unit"
            srp.school.sen_unit_capacity = rng.choice((8, 10, 12))
            srp.school.sen_unit_on_roll = srp.school.sen_unit_capacity - rng.randint(0, 3)


def fill_gias_figures(register: SrpRegister, year: int) -> None:
    """GIAS capacity/on-roll as schools last reported them."""
    for srps in register.by_school.values():
        school = srps[0].school
        school.rp_capacity = sum(srp.places.get(year, 0) for srp in srps)
        school.rp_on_roll = sum(srp.on_roll.get(year, 0) for srp in srps)


REGISTER_COLUMNS = tuple(f.name for f in contract.SRP_REGISTER.fields)


def register_rows(register: SrpRegister, year: int):
    for srp in register.srps:
        if year not in srp.places:
            continue
        sla_start, sla_end = LONG_SLA if year >= 2024 else (year_start(year), year_end(year))
        yield {
            "srp_id": srp.srp_id, "urn": srp.school.urn, "designation": srp.designation,
            "phase": srp.phase, "academic_year": academic_year_label(year),
            "commissioned_places": str(srp.places[year]),
            "sla_start": uk_date(sla_start), "sla_end": uk_date(sla_end),
            "place_funding_gbp": str(PLACE_FUNDING_GBP), "top_up_gbp": str(srp.top_up_gbp),
        }


def register_path(root: Path, year: int) -> Path:
    return root / contract.LANDING_SRP_REGISTER / f"srp_register_{academic_year_folder(year)}.csv"


def write_register(root: Path, register: SrpRegister, year: int, row_hook=None) -> int:
    path = register_path(root, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTER_COLUMNS)
        writer.writeheader()
        for line, row in enumerate(register_rows(register, year), start=2):
            if row_hook:
                row_hook(line, row)
            writer.writerow(row)
            count += 1
    return count
