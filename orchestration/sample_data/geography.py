"""The sample council's districts, British National Grid coordinates and postcodes: Kent (LA
886, the default) or East Sussex (LA 845), chosen with :func:`use_council`. District names and
areas come from the council's configuration (councils/*.toml); the coordinates, postcodes and
place names here are the sample's own."""

from __future__ import annotations

import contextlib
import math
import random
import zlib
from dataclasses import dataclass

from orchestration import council as council_config
from orchestration.sample_data.scenario import Weighted

# Kent. Rough district centres (BNG metres) and relative population (weights for homes/schools).
_KENT_DISTRICT_CENTRES = {
    "Dartford": (554000, 174000), "Gravesham": (565000, 170000),
    "Sevenoaks": (552000, 155000), "Maidstone": (578000, 153000),
    "Tonbridge and Malling": (566000, 157000), "Tunbridge Wells": (562000, 138000),
    "Canterbury": (615000, 158000), "Swale": (598000, 163000), "Thanet": (635000, 167000),
    "Ashford": (600000, 140000), "Dover": (630000, 146000),
    "Folkestone and Hythe": (616000, 136000),
}
_KENT_DISTRICT_POPULATION = {
    "Dartford": 7.5, "Gravesham": 7.0, "Sevenoaks": 7.5, "Maidstone": 11.0,
    "Tonbridge and Malling": 8.5, "Tunbridge Wells": 7.5, "Canterbury": 9.0, "Swale": 9.5,
    "Thanet": 9.0, "Ashford": 8.5, "Dover": 7.5, "Folkestone and Hythe": 7.0,
}
# The six districts the SRP review names: secondary SRP places are short there.
_KENT_SHORT_SECONDARY_DISTRICTS = frozenset(
    {"Ashford", "Folkestone and Hythe", "Gravesham", "Maidstone", "Sevenoaks", "Thanet"}
)

_KENT_POSTCODE_DISTRICTS = {
    "Dartford": ("DA1", "DA2", "DA4"), "Gravesham": ("DA11", "DA12", "DA13"),
    "Sevenoaks": ("TN13", "TN14", "TN15", "BR8"), "Maidstone": ("ME14", "ME15", "ME16", "ME17"),
    "Tonbridge and Malling": ("ME19", "ME20", "TN9", "TN10"),
    "Tunbridge Wells": ("TN1", "TN2", "TN4", "TN12"), "Canterbury": ("CT1", "CT2", "CT5", "CT6"),
    "Swale": ("ME10", "ME12", "ME13"), "Thanet": ("CT9", "CT10", "CT11", "CT12"),
    "Ashford": ("TN23", "TN24", "TN25", "TN26"), "Dover": ("CT14", "CT15", "CT16", "CT17"),
    "Folkestone and Hythe": ("CT19", "CT20", "CT21", "TN28", "TN29"),
}
_KENT_OUT_OF_COUNTY_POSTCODES = ("ME1", "ME4", "ME7", "ME8", "TN31", "TN35", "DA7", "DA15", "RH8")

# Neighbouring councils: (LA code, LA name, district, centre) for out-of-county schools/homes.
_KENT_NEIGHBOUR_LAS = (
    ("887", "Medway", "Medway", (576000, 168000)),
    ("845", "East Sussex", "Rother", (575000, 122000)),
    ("845", "East Sussex", "Wealden", (556000, 120000)),
    ("303", "Bexley", "Bexley", (549000, 175000)),
    ("305", "Bromley", "Bromley", (542000, 166000)),
    ("936", "Surrey", "Tandridge", (538000, 150000)),
    ("883", "Thurrock", "Thurrock", (562000, 180000)),
)

_KENT_PLACE_NAMES = {
    "Dartford": ("Dartford", "Swanscombe", "Greenhithe", "Stone", "Wilmington",
                 "Sutton-at-Hone", "Longfield", "Joydens Wood"),
    "Gravesham": ("Gravesend", "Northfleet", "Istead Rise", "Meopham", "Higham", "Cobham",
                  "Shorne", "Painters Ash"),
    "Sevenoaks": ("Sevenoaks", "Swanley", "Edenbridge", "Westerham", "Otford", "Kemsing",
                  "Hextable", "Riverhead"),
    "Maidstone": ("Maidstone", "Bearsted", "Headcorn", "Marden", "Lenham", "Coxheath",
                  "Staplehurst", "Boughton Monchelsea"),
    "Tonbridge and Malling": ("Tonbridge", "West Malling", "Snodland", "Aylesford", "Kings Hill",
                              "Hildenborough", "Larkfield", "Ditton"),
    "Tunbridge Wells": ("Tunbridge Wells", "Southborough", "Paddock Wood", "Cranbrook",
                        "Hawkhurst", "Rusthall", "Pembury", "Goudhurst"),
    "Canterbury": ("Canterbury", "Whitstable", "Herne Bay", "Sturry", "Bridge", "Chartham",
                   "Hersden", "Blean"),
    "Swale": ("Sittingbourne", "Faversham", "Sheerness", "Minster-on-Sea", "Iwade",
              "Eastchurch", "Teynham", "Milton Regis"),
    "Thanet": ("Margate", "Ramsgate", "Broadstairs", "Birchington", "Westgate-on-Sea",
               "Cliftonville", "Minster", "Newington"),
    "Ashford": ("Ashford", "Tenterden", "Kennington", "Willesborough", "Wye", "Charing",
                "Hamstreet", "Kingsnorth"),
    "Dover": ("Dover", "Deal", "Sandwich", "Aylesham", "Whitfield", "River", "Walmer",
              "Eythorne"),
    "Folkestone and Hythe": ("Folkestone", "Hythe", "New Romney", "Lydd", "Cheriton",
                             "Sandgate", "Lyminge", "Dymchurch"),
}


# East Sussex (ILLUSTRATIVE sample geography; districts and areas from councils/845-east-sussex.toml).
_EAST_SUSSEX_DISTRICT_CENTRES = {
    "Eastbourne": (560500, 100500), "Lewes": (542000, 106000), "Hastings": (581500, 110500),
    "Rother": (580000, 120000), "Wealden": (555000, 120000),
}
_EAST_SUSSEX_DISTRICT_POPULATION = {  # ~ thousands of residents
    "Eastbourne": 10.1, "Lewes": 9.9, "Hastings": 9.1, "Rother": 9.2, "Wealden": 16.0,
}
_EAST_SUSSEX_SHORT_SECONDARY_DISTRICTS = frozenset({"Hastings", "Rother"})
_EAST_SUSSEX_POSTCODE_DISTRICTS = {
    "Eastbourne": ("BN20", "BN21", "BN22", "BN23"), "Lewes": ("BN7", "BN8", "BN9", "BN10", "BN25"),
    "Hastings": ("TN34", "TN35", "TN37", "TN38"), "Rother": ("TN31", "TN32", "TN33", "TN39", "TN40"),
    "Wealden": ("TN6", "TN21", "TN22", "BN26", "BN27"),
}
_EAST_SUSSEX_OUT_OF_COUNTY_POSTCODES = ("BN1", "BN2", "BN3", "RH10", "RH16", "TN2", "TN26")
_EAST_SUSSEX_NEIGHBOUR_LAS = (
    ("846", "Brighton and Hove", "Brighton and Hove", (531000, 106000)),
    ("938", "West Sussex", "Mid Sussex", (530000, 124000)),
    ("938", "West Sussex", "Crawley", (527000, 137000)),
    ("886", "Kent", "Tunbridge Wells", (562000, 138000)),
    ("886", "Kent", "Ashford", (600000, 140000)),
)
_EAST_SUSSEX_NEIGHBOUR_OUTWARD_CODES = {
    "Brighton and Hove": ("BN1",), "Mid Sussex": ("RH16",), "Crawley": ("RH10",),
    "Tunbridge Wells": ("TN2",), "Ashford": ("TN26",),
}
_EAST_SUSSEX_PLACE_NAMES = {
    "Eastbourne": ("Eastbourne", "Hampden Park", "Langney", "Old Town", "Meads", "Roselands",
                   "Willingdon", "Sovereign Harbour"),
    "Lewes": ("Lewes", "Newhaven", "Seaford", "Peacehaven", "Ringmer", "Telscombe", "Barcombe",
              "Ditchling"),
    "Hastings": ("Hastings", "St Leonards", "Ore", "Hollington", "Silverhill", "Baird",
                 "West St Leonards", "Bohemia"),
    "Rother": ("Bexhill", "Rye", "Battle", "Robertsbridge", "Ticehurst", "Sedlescombe", "Camber",
               "Winchelsea"),
    "Wealden": ("Uckfield", "Crowborough", "Hailsham", "Heathfield", "Polegate", "Forest Row",
                "Wadhurst", "Mayfield"),
}


@dataclass(frozen=True)
class SampleCouncil:
    """What the sample needs of a council beyond its configuration."""

    la_code: str
    default_scale: float  # 1 = Kent's caseload (~19.5k active plans)
    district_centres: dict
    district_population: dict
    short_secondary_districts: frozenset  # secondary SRP places are short there
    postcode_districts: dict
    out_of_county_postcodes: tuple
    neighbour_las: tuple  # (LA code, LA name, district, centre) for out-of-county schools/homes
    place_names: dict
    ons_county: str  # ONS county code (NSPL cty) of the council's postcodes
    neighbour_outward_codes: dict = None  # postcodes of neighbours' homes (home_postcode)


SAMPLE_COUNCILS = {
    "886": SampleCouncil("886", 1.0, _KENT_DISTRICT_CENTRES, _KENT_DISTRICT_POPULATION,
                         _KENT_SHORT_SECONDARY_DISTRICTS, _KENT_POSTCODE_DISTRICTS,
                         _KENT_OUT_OF_COUNTY_POSTCODES, _KENT_NEIGHBOUR_LAS, _KENT_PLACE_NAMES,
                         "E10000016"),
    "845": SampleCouncil("845", 0.25, _EAST_SUSSEX_DISTRICT_CENTRES, _EAST_SUSSEX_DISTRICT_POPULATION,
                         _EAST_SUSSEX_SHORT_SECONDARY_DISTRICTS, _EAST_SUSSEX_POSTCODE_DISTRICTS,
                         _EAST_SUSSEX_OUT_OF_COUNTY_POSTCODES, _EAST_SUSSEX_NEIGHBOUR_LAS,
                         _EAST_SUSSEX_PLACE_NAMES, "E10000011", _EAST_SUSSEX_NEIGHBOUR_OUTWARD_CODES),
}
DEFAULT_LA_CODE = council_config.DEFAULT_LA_CODE


def sample_council(la_code: str) -> SampleCouncil:
    if la_code not in SAMPLE_COUNCILS:
        raise ValueError(f"no sample geography for LA {la_code!r}: one of {', '.join(SAMPLE_COUNCILS)}")
    return SAMPLE_COUNCILS[la_code]


def _bind(sample: SampleCouncil) -> None:
    """Make ``sample`` the council this module's names describe (LA_CODE, DISTRICT_CENTRES...)."""
    configured = council_config.load(council_config.council_path(sample.la_code))
    assert set(sample.district_centres) == set(configured.district_names), configured.path
    globals().update(
        SAMPLE=sample, COUNCIL=configured, LA_CODE=configured.la_code, LA_NAME=configured.name,
        AREAS_BY_DISTRICT=configured.areas_by_district,
        DISTRICT_CENTRES=sample.district_centres, DISTRICT_POPULATION=sample.district_population,
        SHORT_SECONDARY_DISTRICTS=sample.short_secondary_districts,
        POSTCODE_DISTRICTS=sample.postcode_districts,
        OUT_OF_COUNTY_POSTCODES=sample.out_of_county_postcodes, NEIGHBOUR_LAS=sample.neighbour_las,
        PLACE_NAMES=sample.place_names, HOME_DISTRICTS=Weighted(sample.district_population),
    )
    neighbour_codes = globals().get("NEIGHBOUR_OUTWARD_CODES")
    if sample.neighbour_outward_codes and neighbour_codes is not None:
        neighbour_codes.update(sample.neighbour_outward_codes)


@contextlib.contextmanager
def use_council(la_code: str):
    """The sample's geography is ``la_code``'s inside the block (Kent's again after it)."""
    previous = SAMPLE
    _bind(sample_council(la_code))
    try:
        yield SAMPLE
    finally:
        _bind(previous)


# Bound by _bind() to the sample's council: Kent unless inside use_council().
SAMPLE: SampleCouncil
COUNCIL: council_config.Council  # its configuration (districts, areas)
LA_CODE: str
LA_NAME: str
AREAS_BY_DISTRICT: dict[str, str]
DISTRICT_CENTRES: dict[str, tuple[int, int]]
DISTRICT_POPULATION: dict[str, float]
SHORT_SECONDARY_DISTRICTS: frozenset[str]
POSTCODE_DISTRICTS: dict[str, tuple[str, ...]]
OUT_OF_COUNTY_POSTCODES: tuple[str, ...]
NEIGHBOUR_LAS: tuple[tuple[str, str, str, tuple[int, int]], ...]
PLACE_NAMES: dict[str, tuple[str, ...]]
HOME_DISTRICTS: Weighted
_bind(SAMPLE_COUNCILS[DEFAULT_LA_CODE])
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def scatter(rng: random.Random, centre: tuple[int, int], radius_m: float) -> tuple[int, int]:
    """A point uniformly inside a disc around ``centre``."""
    angle = rng.uniform(0, 2 * math.pi)
    distance = radius_m * math.sqrt(rng.random())
    return round(centre[0] + distance * math.cos(angle)), round(centre[1] + distance * math.sin(angle))


def home_point(rng: random.Random, district: str) -> tuple[int, int]:
    """Homes cluster nearer the district centre than schools do."""
    centre = DISTRICT_CENTRES[district]
    spread = min(abs(rng.gauss(0, 3500)), HOME_RADIUS_M)
    angle = rng.uniform(0, 2 * math.pi)
    return round(centre[0] + spread * math.cos(angle)), round(centre[1] + spread * math.sin(angle))


def distance_km(a: tuple[int, int], b: tuple[int, int]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1]) / 1000


def postcode(rng: random.Random, outward_codes: tuple[str, ...]) -> str:
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{rng.choice(outward_codes)} {inward}"


def district_postcode(rng: random.Random, district: str) -> str:
    return postcode(rng, POSTCODE_DISTRICTS.get(district, OUT_OF_COUNTY_POSTCODES))


# A geocoded home's postcode is its 200 m grid cell, counted from the corner of the square
# (2 x radius) around its district's (or neighbouring council's) centre: one postcode per cell
# and one cell per postcode, so homes sharing a postcode are within one cell (each at most
# 142 m from the cell's centre, the postcode's centroid in the sample's postcode lookup).
POSTCODE_CELL_M = 200
HOME_RADIUS_M = 8000  # home_point never strays further from its district centre
NEIGHBOUR_RADIUS_M = 5000  # out-of-county homes: scatter() around the neighbour's centre
NEIGHBOUR_OUTWARD_CODES = {"Medway": ("ME7",), "Rother": ("TN31",), "Wealden": ("TN22",),
                           "Bexley": ("DA7",), "Bromley": ("BR1",), "Tandridge": ("RH8",),
                           "Thurrock": ("RM17",)}
_INWARD_CODES = 9 * len(_INWARD_LETTERS) ** 2  # 3,600 per outward code


def home_postcode(rng: random.Random, drawn_from: tuple[str, ...], outward_codes: tuple[str, ...],
                  centre: tuple[int, int], radius_m: int, point: tuple[int, int] | None) -> str:
    """A home's postcode: the same draws as postcode() (every later draw is unchanged), made
    the home's grid cell (postcode_cell); a home not geocoded gets a code no cell uses."""
    drawn = postcode(rng, drawn_from)
    cells = (2 * radius_m // POSTCODE_CELL_M) ** 2
    capacity = len(outward_codes) * _INWARD_CODES
    assert cells < capacity, "more cells than postcodes"
    if point is None:
        return _code(outward_codes, cells + zlib.crc32(drawn.encode()) % (capacity - cells))
    column, row = postcode_cell(point, centre, radius_m)
    return _code(outward_codes, column * (2 * radius_m // POSTCODE_CELL_M) + row)


def postcode_cell(point: tuple[int, int], centre: tuple[int, int], radius_m: int) -> tuple[int, int]:
    span = 2 * radius_m // POSTCODE_CELL_M
    return tuple(min(span - 1, max(0, (p - c + radius_m) // POSTCODE_CELL_M))
                 for p, c in zip(point, centre))


def postcode_cell_centre(point: tuple[int, int], centre: tuple[int, int], radius_m: int) -> tuple[int, int]:
    """The centre of the home's postcode cell (BNG metres)."""
    return tuple(c - radius_m + index * POSTCODE_CELL_M + POSTCODE_CELL_M // 2
                 for index, c in zip(postcode_cell(point, centre, radius_m), centre))


def _code(outward_codes: tuple[str, ...], index: int) -> str:
    outward, inward = divmod(index, _INWARD_CODES)
    digit, letters = divmod(inward, len(_INWARD_LETTERS) ** 2)
    first, second = divmod(letters, len(_INWARD_LETTERS))
    return f"{outward_codes[outward]} {digit + 1}{_INWARD_LETTERS[first]}{_INWARD_LETTERS[second]}"
