"""Who a child is: names, sex, ethnicity, needs, home, UPN and ULN (all invented)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from stdnum.gb import upn as upn_check

from orchestration import contract
from orchestration.sample_data import geography
from orchestration.sample_data.scenario import Weighted

MALE_NAMES = ("Oliver", "Harry", "George", "Jack", "Noah", "Leo", "Charlie", "Freddie", "Alfie",
              "Oscar", "Archie", "Thomas", "Jacob", "Logan", "Mason", "Riley", "Ethan", "Lucas",
              "Max", "Joshua", "Dylan", "Callum", "Kai", "Tyler", "Reuben", "Finley", "Samuel",
              "Mohammed", "Kacper", "Tomasz", "Kwame", "Arjun", "Daniel", "Ryan", "Lewis")
FEMALE_NAMES = ("Olivia", "Amelia", "Isla", "Ava", "Mia", "Lily", "Grace", "Sophia", "Ella",
                "Evie", "Poppy", "Freya", "Ruby", "Daisy", "Chloe", "Emily", "Jessica", "Millie",
                "Phoebe", "Maisie", "Zara", "Amira", "Zuzanna", "Ama", "Priya", "Erin", "Holly")
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Harris", "Lewis", "Baker", "Turner", "Hill",
            "Cooper", "Ward", "Morris", "King", "Moore", "Parker", "Bennett", "Cook", "Marsh",
            "Kemp", "Fuller", "Pearce", "Mitchell", "O'Brien", "Nowak", "Kowalski", "Mensah",
            "Okafor", "Patel", "Khan", "Singh", "Begum", "Gurung", "Ahmed", "Chen", "Murphy",
            "Kelly", "Sullivan", "Price", "Knight", "Webb", "Foster", "Ellis", "Barker", "Shaw")

ETHNICITY = Weighted({
    "WBRI": 68.0, "WOTH": 3.0, "WIRI": 0.5, "WROM": 0.8, "WIRT": 0.6,
    "MWBC": 1.0, "MWBA": 0.5, "MWAS": 0.6, "MOTH": 0.45,
    "BAFR": 1.2, "BCRB": 0.45, "BOTH": 0.5,
    "AIND": 0.8, "APKN": 0.3, "ABAN": 0.2, "AOTH": 0.7,
    "CHNE": 0.2, "OOTH": 1.0, "REFU": 1.5, "NOBT": 8.0, "": 9.7,
})
PRIMARY_NEED = Weighted({
    "ASD": 42.0, "SEMH": 20.0, "SLCN": 17.0, "MLD": 6.0, "SPLD": 4.0, "SLD": 3.3, "PMLD": 1.2,
    "PD": 2.3, "HI": 1.2, "VI": 0.5, "MSI": 0.2, "OTH": 1.0, "DS": 0.6,
})
SEX = Weighted({"M": 72.0, "F": 27.9, "U": 0.1})
OUT_OF_COUNTY_SHARE = 0.02
NOT_GEOCODED_SHARE = 0.03


@dataclass
class Person:
    person_id: int
    sex: str
    date_of_birth: dt.date
    ethnicity: str
    needs: list[str]
    home_district: str
    home_point: tuple[int, int] | None  # None: address not geocoded
    postcode: str
    forename: str
    surname: str
    upn: str = ""
    uln: str = ""
    first_seen: dt.date | None = None
    school_district: str = field(default="")  # where the child goes to school (Kent district)

    @property
    def primary_need(self) -> str:
        return self.needs[0]

    @property
    def location(self) -> tuple[int, int]:
        """Where placement choices are made from: the home, or the district centre."""
        return self.home_point or geography.DISTRICT_CENTRES[self.school_district]


def make_person(rng: random.Random, person_id: int, date_of_birth: dt.date) -> Person:
    sex = SEX.pick(rng)
    district, point, postcode = _home(rng)
    return Person(
        person_id=person_id, sex=sex, date_of_birth=date_of_birth, ethnicity=ETHNICITY.pick(rng),
        needs=_needs(rng), home_district=district, home_point=point, postcode=postcode,
        forename=rng.choice(FEMALE_NAMES if sex == "F" else MALE_NAMES),
        surname=rng.choice(SURNAMES),
        school_district=district if district != contract.OUT_OF_COUNTY else _nearest_district(point),
    )


def _needs(rng: random.Random) -> list[str]:
    needs = [PRIMARY_NEED.pick(rng)]
    for chance in (0.35, 0.25):  # a secondary need for a third; a third need for fewer
        if rng.random() >= chance:
            break
        extra = PRIMARY_NEED.pick(rng)
        if extra not in needs:
            needs.append(extra)
    return needs


def _home(rng: random.Random) -> tuple[str, tuple[int, int] | None, str]:
    if rng.random() < OUT_OF_COUNTY_SHARE:
        _, _, neighbour, centre = rng.choice(geography.NEIGHBOUR_LAS)
        point = geography.scatter(rng, centre, geography.NEIGHBOUR_RADIUS_M)
        return contract.OUT_OF_COUNTY, point, geography.home_postcode(
            rng, geography.OUT_OF_COUNTY_POSTCODES, geography.NEIGHBOUR_OUTWARD_CODES[neighbour],
            centre, geography.NEIGHBOUR_RADIUS_M, point)
    district = geography.HOME_DISTRICTS.pick(rng)
    point = None if rng.random() < NOT_GEOCODED_SHARE else geography.home_point(rng, district)
    outward = geography.POSTCODE_DISTRICTS[district]
    return district, point, geography.home_postcode(
        rng, outward, outward, geography.DISTRICT_CENTRES[district], geography.HOME_RADIUS_M, point)


def _nearest_district(point: tuple[int, int]) -> str:
    return min(geography.DISTRICT_CENTRES,
               key=lambda d: geography.distance_km(point, geography.DISTRICT_CENTRES[d]))


class UpnIssuer:
    """UPNs: check letter + LA + establishment number + 2-digit year + 3-digit serial."""

    def __init__(self):
        self._serials: dict[tuple[str, str, int], int] = {}

    def issue(self, la_code: str, establishment_number: str, year: int) -> str:
        key = (la_code, establishment_number, year % 100)
        serial = self._serials.get(key, 0) + 1
        while serial > 999:  # a crowded school: borrow the following year's numbers
            key = (la_code, establishment_number, (key[2] + 1) % 100)
            serial = self._serials.get(key, 0) + 1
        self._serials[key] = serial
        digits = f"{la_code}{establishment_number}{key[2]:02d}{serial:03d}"
        return upn_check.calc_check_digit(digits) + digits


def uln_for(person_id: int) -> str:
    """A distinct 10-digit learner number per person (an odd multiplier is a bijection)."""
    return str(person_id * 2654435761 % 9_000_000_000 + 1_000_000_000)
