"""The school register (a GIAS-style extract) for the sample council (geography: Kent unless
use_council() says otherwise) plus neighbouring councils."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from orchestration import contract
from orchestration.sample_data import geography
from orchestration.sample_data.scenario import Scenario, gias_date

# (kind, count at scale 1, minimum per district when spread over districts)
KENT_SCHOOL_COUNTS = {
    "primary": (460, 2), "secondary": (100, 1), "special": (25, 0),
    "independent": (30, 0), "fe": (8, 0), "post16": (6, 0),
}
MINIMUM_COUNTY_COUNTS = {"special": 3, "independent": 2, "fe": 2, "post16": 1}
OUT_OF_COUNTY_COUNTS = {"primary": 10, "secondary": 8, "special": 12, "independent": 10}

SAINTS = ("Mary", "John", "Peter", "Paul", "Andrew", "Margaret", "Nicholas", "George",
          "Augustine", "Edmund", "Thomas", "Joseph", "Katharine", "Stephen", "Michael")
SPECIAL_NAMES = ("Oakfield", "Ridgeview", "Valence", "Milestone", "Broomhill Bank", "Foxwood",
                 "Ifield", "Bower Grove", "Five Acre Wood", "Laleham Gap", "Stone Bay",
                 "Portal House", "Meadowfield", "Orchard", "Goldwyn", "Elms", "Wyvern",
                 "Rowhill", "Snowfields", "Nexus", "Beacon", "Harbour", "St Nicholas",
                 "Grange Park", "Willow Brook")
INDEPENDENT_NAMES = ("Brewood", "Hope View", "Heath Farm", "Caldecott", "Trinity",
                     "Compass", "Greenfields", "Learning Opportunities", "Bramble",
                     "Kings Wood", "Westbrook", "Priory", "Chartwell", "Fernbank")

# kind -> (type code, type name, group code, group name), first entry most common
ESTABLISHMENT_TYPES = {
    "primary": (((1, "Community school", 4, "Local authority maintained schools"), 30),
                ((3, "Voluntary controlled school", 4, "Local authority maintained schools"), 15),
                ((2, "Voluntary aided school", 4, "Local authority maintained schools"), 10),
                ((34, "Academy converter", 10, "Academies"), 30),
                ((28, "Academy sponsor led", 10, "Academies"), 15)),
    "secondary": (((34, "Academy converter", 10, "Academies"), 60),
                  ((28, "Academy sponsor led", 10, "Academies"), 25),
                  ((5, "Foundation school", 4, "Local authority maintained schools"), 15)),
    "special": (((7, "Community special school", 5, "Special schools"), 60),
                ((33, "Academy special converter", 10, "Academies"), 30),
                ((38, "Free schools special", 11, "Free Schools"), 10)),
    "independent": (((10, "Other independent special school", 3, "Independent schools"), 80),
                    ((8, "Non-maintained special school", 5, "Special schools"), 20)),
    "fe": (((18, "Further education", 1, "Colleges"), 100),),
    "post16": (((44, "Special post 16 institution", 1, "Colleges"), 100),),
}
PHASES = {"primary": ("Primary", 4, 11), "secondary": ("Secondary", 11, 18),
          "special": ("Not applicable", 2, 19), "independent": ("Not applicable", 5, 19),
          "fe": ("16 plus", 16, 99), "post16": ("16 plus", 16, 25)}


@dataclass
class School:
    urn: str
    la_code: str
    la_name: str
    establishment_number: str
    name: str
    kind: str  # primary, secondary, special, independent, fe, post16
    district: str
    point: tuple[int, int]
    type_code: int
    type_name: str
    group_code: int
    group_name: str
    ukprn: str
    open_date: dt.date
    postcode: str
    town: str
    pupils: int
    religious_character: str
    resourced_provision: str = "Not applicable"
    rp_capacity: int = 0
    rp_on_roll: int = 0
    sen_unit_capacity: int = 0
    sen_unit_on_roll: int = 0
    srp_id: str = ""  # set when the school holds an SRP

    @property
    def in_kent(self) -> bool:
        """In the sample's council (Kent by default; the name predates other councils)."""
        return self.la_code == geography.LA_CODE

    @property
    def phase_name(self) -> str:
        return PHASES[self.kind][0]

    @property
    def uses_ukprn(self) -> bool:
        """Post-16 providers are recorded in SEN2 by UKPRN rather than URN."""
        return self.kind in ("fe", "post16")


class SchoolRegister:
    def __init__(self, schools: list[School]):
        self.schools = schools
        self.by_urn = {s.urn: s for s in schools}
        self.by_ukprn = {s.ukprn: s for s in schools if s.ukprn}
        self._by_kind: dict[tuple[str, bool], list[School]] = {}
        self._by_district: dict[tuple[str, str], list[School]] = {}
        for school in schools:
            self._by_kind.setdefault((school.kind, school.in_kent), []).append(school)
            if school.in_kent:
                self._by_district.setdefault((school.kind, school.district), []).append(school)

    def of_kind(self, kind: str, in_kent: bool = True) -> list[School]:
        return self._by_kind.get((kind, in_kent), [])

    def in_district(self, kind: str, district: str) -> list[School]:
        return self._by_district.get((kind, district)) or self.of_kind(kind)


def build_register(scenario: Scenario) -> SchoolRegister:
    rng = scenario.rng("schools")
    urns = _unique_numbers(rng, 100000, 160000, 50000)
    ukprns = iter(_unique_numbers(rng, 10000000, 10099999, 60000))
    schools = []
    for kind, (at_scale_one, per_district_minimum) in KENT_SCHOOL_COUNTS.items():
        for district in _district_slots(rng, scenario, kind, at_scale_one, per_district_minimum):
            centre = geography.DISTRICT_CENTRES[district]
            schools.append(_school(rng, kind, geography.LA_CODE, geography.LA_NAME, district, centre,
                                   urns, ukprns))
    for kind, at_scale_one in OUT_OF_COUNTY_COUNTS.items():
        for _ in range(scenario.count(at_scale_one, minimum=1)):
            la_code, la_name, district, centre = rng.choice(geography.NEIGHBOUR_LAS)
            schools.append(_school(rng, kind, la_code, la_name, district, centre, urns, ukprns))
    _number_establishments(schools)
    _give_typographic_names(schools)
    return SchoolRegister(schools)


def _unique_numbers(rng: random.Random, low: int, high: int, limit: int):
    """A lazily drawn stream of distinct numbers, grown if a big scale needs more."""
    seen: set[int] = set()
    while True:
        number = rng.randint(low, high if len(seen) < limit else 999999)
        if number not in seen:
            seen.add(number)
            yield str(number)


def _district_slots(rng, scenario: Scenario, kind: str, at_scale_one: int, per_district_minimum: int):
    """One district per school: population-weighted, every district at least the minimum."""
    total = sum(geography.DISTRICT_POPULATION.values())
    slots = []
    for district, weight in geography.DISTRICT_POPULATION.items():
        share = scenario.count(at_scale_one * weight / total, minimum=per_district_minimum)
        slots += [district] * share
    shortfall = MINIMUM_COUNTY_COUNTS.get(kind, 0) - len(slots)
    slots += [geography.HOME_DISTRICTS.pick(rng) for _ in range(max(0, shortfall))]
    return slots


def _school(rng, kind, la_code, la_name, district, centre, urns, ukprns) -> School:
    (type_code, type_name, group_code, group_name), = rng.choices(
        [t for t, _ in ESTABLISHMENT_TYPES[kind]], weights=[w for _, w in ESTABLISHMENT_TYPES[kind]])
    town = rng.choice(geography.PLACE_NAMES.get(district, (district,)))
    phase, _, _ = PHASES[kind]
    religious = _religious_character(rng, type_name)
    academy_or_college = group_name in ("Academies", "Free Schools", "Colleges")
    return School(
        urn=next(urns), la_code=la_code, la_name=la_name, establishment_number="",
        name=_school_name(rng, kind, town, religious), kind=kind, district=district,
        point=geography.scatter(rng, centre, 6000), type_code=type_code, type_name=type_name,
        group_code=group_code, group_name=group_name,
        ukprn=next(ukprns) if academy_or_college else "",
        open_date=dt.date(rng.randint(1950, 2019), 9, 1) if not academy_or_college
        else dt.date(rng.randint(2011, 2022), rng.choice((4, 9)), 1),
        postcode=geography.district_postcode(rng, district), town=town,
        pupils=_pupil_count(rng, kind), religious_character=religious,
    )


def _religious_character(rng, type_name: str) -> str:
    if type_name.startswith("Voluntary"):
        return rng.choice(("Church of England", "Church of England", "Roman Catholic"))
    return "Does not apply"


def _school_name(rng, kind: str, town: str, religious: str) -> str:
    if kind == "primary":
        if religious == "Roman Catholic":
            return f"St {rng.choice(SAINTS)}'s Catholic Primary School"
        if religious == "Church of England":
            return rng.choice((f"{town} Church of England Primary School",
                               f"St {rng.choice(SAINTS)}'s Church of England Primary School"))
        return rng.choice((f"{town} Primary School", f"{town} Community Primary School",
                           f"{town} Primary Academy", f"{town} Junior School"))
    if kind == "secondary":
        return rng.choice((f"{town} Academy", f"The {town} School", f"{town} High School",
                           f"{town} Community College", f"{town} Grammar School"))
    if kind == "special":
        return f"{rng.choice(SPECIAL_NAMES)} School"
    if kind == "independent":
        return rng.choice((f"{rng.choice(INDEPENDENT_NAMES)} House School",
                           f"{rng.choice(INDEPENDENT_NAMES)} School"))
    if kind == "fe":
        return f"{town} College"
    return f"{rng.choice(INDEPENDENT_NAMES)} Specialist College"


def _pupil_count(rng, kind: str) -> int:
    low, high = {"primary": (90, 630), "secondary": (600, 1800), "special": (80, 320),
                 "independent": (15, 120), "fe": (2000, 9000), "post16": (20, 150)}[kind]
    return rng.randint(low, high)


def _number_establishments(schools: list[School]) -> None:
    """DfE establishment numbers: 2xxx primary, 4xxx secondary, 7xxx special, 6xxx independent."""
    bases = {"primary": 2000, "secondary": 4000, "special": 7000, "independent": 6000,
             "fe": 8000, "post16": 8600}
    next_number: dict[tuple[str, str], int] = {}
    for school in schools:
        key = (school.la_code, school.kind)
        offset = next_number.get(key, 0)
        next_number[key] = offset + 1
        school.establishment_number = f"{(bases[school.kind] + offset) % 10000:04d}"


def _give_typographic_names(schools: list[School]) -> None:
    """GIAS holds real typography: curly apostrophes and accents that cp1252 encodes."""
    saints = [s for s in schools if "'s " in s.name]
    for school in saints[::3]:
        school.name = school.name.replace("'s ", "\u2019s ")
    primaries = [s for s in schools if s.kind == "primary" and s.in_kent and s.name.startswith("St ")]
    if primaries:
        primaries[-1].name = "St Th\u00e9r\u00e8se of Lisieux Catholic Primary School"


GIAS_EXTRA_COLUMNS = (
    "TypeOfEstablishment (code)", "EstablishmentTypeGroup (code)", "EstablishmentStatus (code)",
    "PhaseOfEducation (code)", "OpenDate", "CloseDate", "Street", "Town", "Postcode",
    "NumberOfPupils", "Gender (name)", "ReligiousCharacter (name)", "UKPRN", "GOR (name)",
)
PHASE_CODES = {"Primary": 2, "Secondary": 4, "Not applicable": 0, "16 plus": 6}


def gias_header() -> list[str]:
    return [f.name for f in contract.GIAS.fields] + list(GIAS_EXTRA_COLUMNS)


def gias_row(school: School) -> dict[str, str]:
    phase, low_age, high_age = PHASES[school.kind]
    return {
        "URN": school.urn, "LA (code)": school.la_code, "LA (name)": school.la_name,
        "EstablishmentNumber": school.establishment_number, "EstablishmentName": school.name,
        "TypeOfEstablishment (name)": school.type_name,
        "EstablishmentTypeGroup (name)": school.group_name,
        "EstablishmentStatus (name)": "Open", "PhaseOfEducation (name)": phase,
        "StatutoryLowAge": str(low_age), "StatutoryHighAge": str(high_age),
        "DistrictAdministrative (name)": school.district,
        "Easting": str(school.point[0]), "Northing": str(school.point[1]),
        "TypeOfResourcedProvision (name)": school.resourced_provision,
        "ResourcedProvisionCapacity": str(school.rp_capacity) if school.rp_capacity else "",
        "ResourcedProvisionOnRoll": str(school.rp_on_roll) if school.rp_capacity else "",
        "SenUnitCapacity": str(school.sen_unit_capacity) if school.sen_unit_capacity else "",
        "SenUnitOnRoll": str(school.sen_unit_on_roll) if school.sen_unit_capacity else "",
        "TypeOfEstablishment (code)": str(school.type_code),
        "EstablishmentTypeGroup (code)": str(school.group_code),
        "EstablishmentStatus (code)": "1", "PhaseOfEducation (code)": str(PHASE_CODES[phase]),
        "OpenDate": gias_date(school.open_date), "CloseDate": "",
        "Street": f"{school.town} Road", "Town": school.town, "Postcode": school.postcode,
        "NumberOfPupils": str(school.pupils), "Gender (name)": "Mixed",
        "ReligiousCharacter (name)": school.religious_character, "UKPRN": school.ukprn,
        "GOR (name)": "South East",
    }


def write_gias(path: Path, register: SchoolRegister, row_hook=None) -> int:
    """Write the register as GIAS does: Windows-1252, CRLF. Returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=gias_header())
        writer.writeheader()
        for line, school in enumerate(register.schools, start=2):
            row = gias_row(school)
            if row_hook:
                row_hook(line, school, row)
            writer.writerow(row)
    return len(register.schools)
