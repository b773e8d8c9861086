"""The sample's postcode lookup: ``landing/postcodes/NSPL21_<MON>_<YYYY>_UK.csv`` (ONS National
Statistics Postcode Lookup layout, docs/DATA-CONTRACT.md), one row per postcode the sample's
homes use plus a few others, two of them terminated.

Centroids. A geocoded home's postcode is its 200 m grid cell (geography.home_postcode), so the
postcode's centroid (the cell's centre) is at most 142 m from every home using it: a home-to-
school distance from the centroid is within 0.15 km of the one from the home's own grid
reference. A postcode used only by homes the sample did not geocode has no grid reference
(``oseast1m``/``osnrth1m`` blank, ``osgrdind`` 9), as NSPL has for some postcodes.
``laua`` is the ONS code of the home's district (the council configuration's ``lad_code``) or,
for a home out of county, of the neighbouring council it lies in. ``lat``/``long`` are OSGB36
(up to ~120 m from NSPL's WGS84 figures); the platform does not read them.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

from orchestration import contract
from orchestration import council as council_config
from orchestration.sample_data import geography
from orchestration.sample_data.people import Person

LANDING_POSTCODES = "postcodes"
COLUMNS = ("pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m",
           "osgrdind", "oa21", "cty", "ced", "laua", "ward", "ctry", "rgn", "lat", "long")
ENGLAND = "E92000001"
NOT_IN_A_COUNTY = "E99999999"  # NSPL's pseudo code for cty/ced outside a two-tier county
SOUTH_EAST, LONDON, EAST = "E12000008", "E12000007", "E12000006"
KENT_COUNTY = "E10000016"
# Neighbouring councils' ONS codes (district, county, region) by geography.NEIGHBOUR_LAS district.
NEIGHBOUR_CODES = {
    "Medway": ("E06000035", NOT_IN_A_COUNTY, SOUTH_EAST),
    "Rother": ("E07000064", "E10000011", SOUTH_EAST),
    "Wealden": ("E07000065", "E10000011", SOUTH_EAST),
    "Bexley": ("E09000004", NOT_IN_A_COUNTY, LONDON),
    "Bromley": ("E09000006", NOT_IN_A_COUNTY, LONDON),
    "Tandridge": ("E07000215", "E10000030", SOUTH_EAST),
    "Thurrock": ("E06000034", NOT_IN_A_COUNTY, EAST),
    # East Sussex's neighbours (sample --council 845)
    "Brighton and Hove": ("E06000043", NOT_IN_A_COUNTY, SOUTH_EAST),
    "Mid Sussex": ("E07000228", "E10000032", SOUTH_EAST),
    "Crawley": ("E07000226", "E10000032", SOUTH_EAST),
    "Tunbridge Wells": ("E07000116", KENT_COUNTY, SOUTH_EAST),
    "Ashford": ("E07000105", KENT_COUNTY, SOUTH_EAST),
}
# A few postcodes no sample home uses: live ones, and two terminated (doterm filled).
EXTRA_POSTCODES = (  # (postcode, district, point, doterm)
    ("CT1 2EH", "Canterbury", (615050, 157750), ""),
    ("ME14 1XX", "Maidstone", (576050, 156150), ""),
    ("TN23 1AB", "Ashford", (601050, 142150), ""),
    ("CT9 1ZZ", "Thanet", (635350, 170950), "201912"),
    ("DA1 9ZZ", "Dartford", (553150, 174850), "202206"),
)
FILE_DATE = dt.date(2025, 2, 1)  # the NSPL release the sample writes (February 2025)


@dataclass
class Entry:
    postcode: str
    point: tuple[int, int] | None
    laua: str
    cty: str
    rgn: str
    doterm: str = ""


class PostcodeBook:
    """Every home postcode of the sample, noted a child at a time."""

    def __init__(self, council: council_config.Council | None = None):
        council = council or geography.COUNCIL  # the sample's council (generate(council=...))
        self.county = geography.SAMPLE.ons_county
        self.lad_codes = {d.name: d.lad_code for d in council.districts}
        self.entries: dict[str, Entry] = {}

    def add(self, person: Person) -> None:
        entry = self._entry(person)
        known = self.entries.setdefault(person.postcode, entry)
        if known.point is None and entry.point is not None:
            self.entries[person.postcode] = entry
        assert entry.point is None or known.point in (None, entry.point), "two cells, one postcode"

    def _entry(self, person: Person) -> Entry:
        if person.home_district == contract.OUT_OF_COUNTY:
            neighbour, centre = _neighbour(person.home_point)
            laua, cty, rgn = NEIGHBOUR_CODES[neighbour]
            point = geography.postcode_cell_centre(person.home_point, centre, geography.NEIGHBOUR_RADIUS_M)
            return Entry(person.postcode, point, laua, cty, rgn)
        point = None
        if person.home_point is not None:
            point = geography.postcode_cell_centre(
                person.home_point, geography.DISTRICT_CENTRES[person.home_district], geography.HOME_RADIUS_M)
        return Entry(person.postcode, point, self.lad_codes[person.home_district], self.county, SOUTH_EAST)

    def write(self, out: Path, file_date: dt.date = FILE_DATE) -> tuple[str, int]:
        """Write the lookup; its path relative to ``out`` and its row count."""
        entries = dict(self.entries)
        for postcode, district, point, doterm in EXTRA_POSTCODES:
            if postcode not in entries and district in self.lad_codes:  # Kent's extras
                entries[postcode] = Entry(postcode, point, self.lad_codes[district], self.county,
                                          SOUTH_EAST, doterm)
        relative = f"{LANDING_POSTCODES}/{file_name(file_date)}"
        path = Path(out) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for postcode in sorted(entries):
                writer.writerow(_row(entries[postcode]))
        return relative, len(entries)


def file_name(file_date: dt.date) -> str:
    return f"NSPL21_{file_date:%b}".upper() + f"_{file_date:%Y}_UK.csv"


def _neighbour(point: tuple[int, int]) -> tuple[str, tuple[int, int]]:
    """The neighbouring council an out-of-county home lies in (the nearest centre: their discs
    do not overlap)."""
    _, _, district, centre = min(geography.NEIGHBOUR_LAS,
                                 key=lambda n: geography.distance_km(point, n[3]))
    return district, centre


def _row(entry: Entry) -> list[str]:
    outward, inward = entry.postcode.split(" ")
    easting, northing = entry.point or ("", "")
    lat, lon = ("", "") if entry.point is None else (f"{v:.6f}" for v in osgb36_lat_long(*entry.point))
    serial = zlib.crc32(entry.postcode.encode()) % 1_000_000
    return [f"{outward:<4}{inward}",
            f"{outward:<5}{inward}", entry.postcode, "198001", entry.doterm, "0",
            str(easting), str(northing), "1" if entry.point else "9", f"E00{serial:06d}",
            entry.cty, NOT_IN_A_COUNTY if entry.cty == NOT_IN_A_COUNTY else "", entry.laua, "",
            ENGLAND, entry.rgn, lat, lon]


def osgb36_lat_long(easting: float, northing: float) -> tuple[float, float]:
    """British National Grid metres to OSGB36 latitude and longitude (degrees): the Ordnance
    Survey's inverse transverse Mercator formulae (A guide to coordinate systems in Great
    Britain, annex C)."""
    a, b, f0 = 6377563.396, 6356256.909, 0.9996012717
    lat0, lon0, n0, e0 = math.radians(49), math.radians(-2), -100000, 400000
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)
    lat, m = lat0, 0.0
    while abs(northing - n0 - m) >= 0.00001:
        lat += (northing - n0 - m) / (a * f0)
        m = b * f0 * ((1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * (lat - lat0)
                      - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(lat - lat0) * math.cos(lat + lat0)
                      + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * (lat - lat0)) * math.cos(2 * (lat + lat0))
                      - 35 / 24 * n**3 * math.sin(3 * (lat - lat0)) * math.cos(3 * (lat + lat0)))
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * sin**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = 1 / (cos * nu)
    xi = 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - e0
    latitude = lat - vii * de**2 + viii * de**4 - ix * de**6
    longitude = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(latitude), math.degrees(longitude)
