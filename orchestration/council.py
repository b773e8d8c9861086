"""The council the platform runs for, as configuration: one TOML file per council in
``councils/`` (``<LA code>-<name>.toml``), loaded and validated at start-up.

It holds the DfE local authority code and name, the DfE region (the regional comparator), the
districts (name as GIAS spells it, ONS district code, education area), the SRP funding
envelope, the KPI RAG thresholds and any shares the council has published itself. Kent
(``councils/886-kent.toml``) is the default; ``SEND_COUNCIL`` selects another by LA code
(``SEND_COUNCIL=845``) or by path (``SEND_COUNCIL=/etc/send/my-council.toml``).

Every error names the file, the key and the rule broken (:class:`CouncilConfigError`), so a
typo stops the platform before anything is loaded rather than giving a wrong report.
The warehouse gets the configuration as tables (``council.*``, written by the Dagster asset in
orchestration/defs/council/) that dbt reads as sources.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

COUNCILS_DIR = Path(__file__).resolve().parent.parent / "councils"
DEFAULT_LA_CODE = "886"
ENV_VAR = "SEND_COUNCIL"
OUT_OF_COUNTY = "Out of county"
RESERVED_NAMES = (OUT_OF_COUNTY, "Unknown")  # the platform's own district/area values

KPIS = (
    "attendance_pct", "suspension_days_per_pupil", "permanent_exclusion_pct",
    "timetable_in_mainstream_pct", "annual_reviews_on_time_pct", "parents_satisfied_pct",
    "pupils_meeting_outcomes_pct", "occupancy_pct",
)  # the gold.srp_kpis columns graded with a RAG status
DIRECTIONS = ("higher", "lower")
POPULATIONS = ("holders", "requests", "plans_issued", "holders_aged_17_to_25")
DIMENSIONS = ("sex", "ethnicity_group", "placement_category")

LA_CODE = re.compile(r"^\d{3}$")  # DfE's three-digit local authority number
LAD_CODE = re.compile(r"^E0[6-9]\d{6}$")  # ONS district: E06 unitary, E07, E08, E09
ACADEMIC_YEAR = re.compile(r"^(\d{4})/(\d{2})$")

SECTIONS = {  # key: (required keys, optional keys)
    "council": (("la_code", "name", "full_name", "region"), ()),
    "districts": (("name", "lad_code", "area"), ("pathway_review_focus",)),
    "funding_envelope": (("from_academic_year", "gbp", "source"), ()),
    "kpi_thresholds": (("kpi", "direction", "green_from", "amber_from", "description"), ()),
    "published_comparators": (
        ("population", "dimension", "category", "share_pct", "period", "published", "source"), ()),
}
REQUIRED_SECTIONS = ("council", "districts", "funding_envelope", "kpi_thresholds")


class CouncilConfigError(ValueError):
    """A council file breaks a rule: names the file, the key and the rule."""

    def __init__(self, path: Path | str, key: str, rule: str, detail: str):
        self.path, self.key, self.rule = str(path), key, rule
        super().__init__(f"{path}: {key}: {detail} (rule {rule})")


@dataclass(frozen=True)
class District:
    name: str
    lad_code: str
    area: str
    pathway_review_focus: bool = False


@dataclass(frozen=True)
class Envelope:
    from_academic_year: str
    gbp: float
    source: str


@dataclass(frozen=True)
class KpiThreshold:
    kpi: str
    direction: str
    green_from: float
    amber_from: float
    description: str


@dataclass(frozen=True)
class PublishedShare:
    population: str
    dimension: str
    category: str
    share_pct: float
    period: str
    published: dt.date
    source: str


@dataclass(frozen=True)
class Council:
    path: Path
    la_code: str
    name: str
    full_name: str
    region: str
    districts: tuple[District, ...]
    funding_envelope: tuple[Envelope, ...]
    kpi_thresholds: tuple[KpiThreshold, ...]
    published_comparators: tuple[PublishedShare, ...] = ()

    @property
    def areas_by_district(self) -> dict[str, str]:
        return {d.name: d.area for d in self.districts}

    @property
    def district_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.districts)

    @property
    def areas(self) -> tuple[str, ...]:
        """Areas in the order their first district is listed."""
        return tuple(dict.fromkeys(d.area for d in self.districts))

    @property
    def home_district_codes(self) -> tuple[str, ...]:
        """What a Synergy person's home_district may hold: a district, or 'Out of county'."""
        return self.district_names + (OUT_OF_COUNTY,)


# ---------------------------------------------------------------------------------------
# Finding and loading
# ---------------------------------------------------------------------------------------
def council_path(selector: str | None = None) -> Path:
    """The file ``selector`` (or ``SEND_COUNCIL``, else Kent) names: an LA code or a path."""
    value = (selector if selector is not None else os.environ.get(ENV_VAR, "")).strip()
    value = value or DEFAULT_LA_CODE
    if LA_CODE.match(value):
        matches = sorted(COUNCILS_DIR.glob(f"{value}-*.toml"))
        if len(matches) != 1:
            found = "none" if not matches else ", ".join(m.name for m in matches)
            raise CouncilConfigError(COUNCILS_DIR, ENV_VAR, "council_file",
                                     f"LA code {value} needs exactly one {value}-<name>.toml file; found {found}")
        return matches[0]
    path = Path(value).expanduser()
    if not path.is_file():
        raise CouncilConfigError(path, ENV_VAR, "council_file",
                                 "not a file and not a three-digit LA code")
    return path.resolve()


def current() -> Council:
    """The configured council (cached per file): raises CouncilConfigError when invalid."""
    return load(council_path())


@functools.lru_cache(maxsize=8)
def load(path: Path) -> Council:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CouncilConfigError(path, "(file)", "toml_syntax", str(exc)) from None
    return parse(raw, path)


def parse(raw: dict, path: Path | str = "<council>") -> Council:
    """A validated Council from the parsed TOML ``raw``; every rule in one place."""
    check = _Checker(path)
    check.sections(raw)
    head = raw["council"]
    check.keys("council", head, "council")
    la_code = check.text("council.la_code", head["la_code"])
    if not LA_CODE.match(la_code):
        check.fail("council.la_code", "la_code_format",
                   f"{la_code!r} is not DfE's three-digit local authority number (e.g. 886)")
    districts = _districts(check, raw["districts"])
    council = Council(
        path=Path(path),
        la_code=la_code,
        name=_not_reserved(check, "council.name", check.text("council.name", head["name"])),
        full_name=check.text("council.full_name", head["full_name"]),
        region=check.text("council.region", head["region"]),
        districts=districts,
        funding_envelope=_envelope(check, raw["funding_envelope"]),
        kpi_thresholds=_thresholds(check, raw["kpi_thresholds"]),
        published_comparators=_comparators(check, raw.get("published_comparators", [])),
    )
    if council.name in council.areas or council.name in council.district_names:
        check.fail("council.name", "name_clash",
                   f"{council.name!r} is also an area or district name: the county row would be ambiguous")
    return council


def _districts(check: "_Checker", entries) -> tuple[District, ...]:
    districts = []
    for i, entry in enumerate(check.table_list("districts", entries)):
        where = f"districts[{i}]"
        check.keys("districts", entry, where)
        name = _not_reserved(check, f"{where}.name", check.text(f"{where}.name", entry["name"]))
        lad_code = check.text(f"{where}.lad_code", entry["lad_code"])
        if not LAD_CODE.match(lad_code):
            check.fail(f"{where}.lad_code", "lad_code_format",
                       f"{lad_code!r} is not an ONS district code (E06, E07, E08 or E09 and six digits)")
        area = entry["area"]
        if not isinstance(area, str) or not area.strip():
            check.fail(f"{where}.area", "district_without_area", f"district {name!r} has no area")
        focus = entry.get("pathway_review_focus", False)
        if not isinstance(focus, bool):
            check.fail(f"{where}.pathway_review_focus", "boolean", "must be true or false")
        districts.append(District(name, lad_code, _not_reserved(check, f"{where}.area", area.strip()), focus))
    check.unique("districts", "name", [d.name for d in districts], "duplicate_district")
    check.unique("districts", "lad_code", [d.lad_code for d in districts], "duplicate_lad_code")
    return tuple(districts)


def _envelope(check: "_Checker", entries) -> tuple[Envelope, ...]:
    envelopes = []
    for i, entry in enumerate(check.table_list("funding_envelope", entries)):
        where = f"funding_envelope[{i}]"
        check.keys("funding_envelope", entry, where)
        year = check.text(f"{where}.from_academic_year", entry["from_academic_year"])
        match = ACADEMIC_YEAR.match(year)
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            check.fail(f"{where}.from_academic_year", "academic_year",
                       f"{year!r} is not an academic year like 2020/21")
        gbp = entry["gbp"]
        if not _is_number(gbp) or gbp <= 0:
            check.fail(f"{where}.gbp", "envelope_positive",
                       f"the envelope must be a positive number of pounds, not {gbp!r}")
        envelopes.append(Envelope(year, float(gbp), check.text(f"{where}.source", entry["source"])))
    check.unique("funding_envelope", "from_academic_year",
                 [e.from_academic_year for e in envelopes], "duplicate_envelope_year")
    return tuple(envelopes)


def _thresholds(check: "_Checker", entries) -> tuple[KpiThreshold, ...]:
    thresholds = []
    for i, entry in enumerate(check.table_list("kpi_thresholds", entries)):
        where = f"kpi_thresholds[{i}]"
        check.keys("kpi_thresholds", entry, where)
        kpi = check.choice(f"{where}.kpi", entry["kpi"], KPIS, "unknown_kpi")
        direction = check.choice(f"{where}.direction", entry["direction"], DIRECTIONS, "direction")
        green, amber = entry["green_from"], entry["amber_from"]
        for key, value in (("green_from", green), ("amber_from", amber)):
            if not _is_number(value):
                check.fail(f"{where}.{key}", "number", f"must be a number, not {value!r}")
        if (direction == "higher" and green < amber) or (direction == "lower" and green > amber):
            need = ">=" if direction == "higher" else "<="
            check.fail(f"{where}", "thresholds_direction",
                       f"{kpi}: a {direction}-is-better KPI needs green_from {need} amber_from "
                       f"(green_from {green}, amber_from {amber})")
        thresholds.append(KpiThreshold(kpi, direction, float(green), float(amber),
                                       check.text(f"{where}.description", entry["description"])))
    check.unique("kpi_thresholds", "kpi", [t.kpi for t in thresholds], "duplicate_kpi")
    missing = [k for k in KPIS if k not in {t.kpi for t in thresholds}]
    if missing:
        check.fail("kpi_thresholds", "missing_kpi", f"no threshold for {', '.join(missing)}")
    return tuple(thresholds)


def _comparators(check: "_Checker", entries) -> tuple[PublishedShare, ...]:
    shares = []
    for i, entry in enumerate(check.table_list("published_comparators", entries, allow_empty=True)):
        where = f"published_comparators[{i}]"
        check.keys("published_comparators", entry, where)
        share = entry["share_pct"]
        if not _is_number(share) or not 0 <= share <= 100:
            check.fail(f"{where}.share_pct", "share_pct_range",
                       f"a share is a percentage from 0 to 100, not {share!r}")
        published = entry["published"]
        if not isinstance(published, dt.date) or isinstance(published, dt.datetime):
            check.fail(f"{where}.published", "date", "must be a TOML date like 2024-05-16")
        shares.append(PublishedShare(
            population=check.choice(f"{where}.population", entry["population"], POPULATIONS, "population"),
            dimension=check.choice(f"{where}.dimension", entry["dimension"], DIMENSIONS, "dimension"),
            category=check.text(f"{where}.category", entry["category"]),
            share_pct=float(share),
            period=check.text(f"{where}.period", entry["period"]),
            published=published,
            source=check.text(f"{where}.source", entry["source"]),
        ))
    check.unique("published_comparators", "population, dimension, category",
                 [(s.population, s.dimension, s.category) for s in shares], "duplicate_comparator")
    return tuple(shares)


def _not_reserved(check: "_Checker", key: str, value: str) -> str:
    if value in RESERVED_NAMES:
        check.fail(key, "reserved_name", f"{value!r} is the platform's own value, not a name to configure")
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Checker:
    """Small helpers that raise CouncilConfigError for one file."""

    def __init__(self, path: Path | str):
        self.path = path

    def fail(self, key: str, rule: str, detail: str):
        raise CouncilConfigError(self.path, key, rule, detail)

    def sections(self, raw: dict) -> None:
        for section in REQUIRED_SECTIONS:
            if section not in raw:
                self.fail(section, "missing_key", f"the [{section}] section is missing")
        for section in raw:
            if section not in SECTIONS:
                self.fail(section, "unknown_key", f"unknown section (known: {', '.join(SECTIONS)})")

    def keys(self, section: str, entry, where: str) -> None:
        if not isinstance(entry, dict):
            self.fail(where, "table", "must be a table of keys")
        required, optional = SECTIONS[section]
        for key in required:
            if key not in entry:
                self.fail(f"{where}.{key}", "missing_key", "required key is missing")
        for key in entry:
            if key not in required + optional:
                self.fail(f"{where}.{key}", "unknown_key",
                          f"unknown key (known: {', '.join(required + optional)})")

    def table_list(self, section: str, entries, allow_empty: bool = False) -> list:
        if not isinstance(entries, list):
            self.fail(section, "array_of_tables", f"write each entry as [[{section}]]")
        if not entries and not allow_empty:
            self.fail(section, "empty", "needs at least one entry")
        return entries

    def text(self, key: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "text", "must be non-empty text")
        return value.strip()

    def choice(self, key: str, value, allowed: tuple[str, ...], rule: str) -> str:
        if value not in allowed:
            self.fail(key, rule, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def unique(self, section: str, key: str, values: list, rule: str) -> None:
        seen = set()
        for i, value in enumerate(values):
            if value in seen:
                self.fail(f"{section}[{i}].{key}", rule, f"{value!r} appears twice")
            seen.add(value)


# ---------------------------------------------------------------------------------------
# Configuration values in other files (Great Expectations suites in expectations/)
# ---------------------------------------------------------------------------------------
VALUE_PREFIX = "$council."  # "$council.home_district_codes" -> that list of the council


def fill_values(value, configured: Council | None = None):
    """``value`` (parsed JSON) with every string "$council.<attribute>" replaced by that
    attribute of the configured council (a tuple becomes a list), e.g. a suite's value set of
    home districts."""
    if isinstance(value, str) and value.startswith(VALUE_PREFIX):
        found = getattr(configured or current(), value.removeprefix(VALUE_PREFIX))
        return list(found) if isinstance(found, tuple) else found
    if isinstance(value, dict):
        return {k: fill_values(v, configured) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_values(v, configured) for v in value]
    return value
