"""The SEN2 person-level return (DfE COLLECT) as data: modules, items, code lists, by year.

One table (``ITEMS``) says, for every item of every module, its XML element, the kind of
value it holds, whether it is mandatory, its code list, the collection years it belongs to
and whether it is personal (a direct identifier: never in a message). Nothing else in the
package knows an item by name, except the one-of groups and date windows below, which are
data too.

Names. An item's name is its XML element name in lower case, which is also its column in the
COLLECT "Blade" CSV export (``PersonBirthDate`` -> ``personbirthdate``), as MastodonC's
witan.sen2 reads the export. Modules are keyed in snake case (``named_plan``); each has its
element in the XML and its file suffix in the Blade set (``Blade-Export_<dd-mm-yyyy>_namedplan.csv``).

Years. The collection year is the January census year (``2025`` = the return made in January
2025, the census reference date in it). Changes between years, as issue 16 dates them (witan.sen2's
readers have the same items before and after each change but date them by template version,
"<v1.2" / ">=v1.2", not by collection year: docs/SEN2.md "How spec.py was checked"):

* 2025: ``gendercurrent`` (module 1) became ``sex``;
* 2025: the annual review meeting date and outcome (``reviewmeeting``, ``reviewoutcome``) are
  items of module 5a active plans beside ``lastreview``; ``res``/``wbp`` moved from 5a to
  5b placement detail, and ``attendancepattern`` left 5b;
* 2025: SEN type ``DS`` (Down syndrome) was added to the SEN type code list.

The code lists are the platform's own (orchestration/contract.py: the Synergy extract follows
SEN2's codes), so a value valid in one source is valid in the other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from orchestration import contract

YEARS = (2024, 2025)  # collection years this table describes
ROOT = "Message"  # the XML return's root element (no namespace)
PERSONS = "Persons"  # the element holding the Person elements

ALL = YEARS
UNTIL_2024 = (2024,)
FROM_2025 = (2025,)


@dataclass(frozen=True)
class Module:
    key: str
    number: str  # the specification's module number (4a, 5b, ...)
    title: str
    xml: str  # element name in the XML return
    blade: str  # Blade CSV file suffix and column prefix (persontableid, ...)
    parent: str | None

    @property
    def id_column(self) -> str:
        """The Blade column holding this module's own record identifier."""
        return f"{self.blade}tableid"


MODULES = (
    Module("header", "0", "header", "Header", "sen2", None),
    Module("person", "1", "person", "Person", "person", "header"),
    Module("requests", "2", "requests", "Requests", "requests", "person"),
    Module("assessment", "3", "assessment", "Assessment", "assessment", "requests"),
    Module("named_plan", "4a", "named plan", "NamedPlan", "namedplan", "assessment"),
    Module("plan_detail", "4b", "plan detail", "PlanDetail", "plandetail", "named_plan"),
    Module("active_plans", "5a", "active plans", "ActivePlans", "activeplans", "requests"),
    Module("placement_detail", "5b", "placement detail", "PlacementDetail",
           "placementdetail", "active_plans"),
    Module("sen_need", "5c", "SEN need", "SENneed", "senneed", "active_plans"),
)
MODULE = {m.key: m for m in MODULES}
CHILDREN = {m.key: tuple(c.key for c in MODULES if c.parent == m.key) for m in MODULES}


@dataclass(frozen=True)
class Item:
    module: str
    xml: str  # element name; the item's name is this in lower case
    kind: str = "text"  # text, date, code, rank, upn, urn, ukprn, la; year (the header's:
    # it chooses the specification, validate.py)
    mandatory: bool = False
    codes: str | None = None  # a key of CODE_LISTS (kind "code")
    years: tuple[int, ...] = ALL
    personal: bool = False
    group: str | None = None  # header items: the XML element that groups them

    @property
    def name(self) -> str:
        return self.xml.lower()


BOOLEAN_CODES = ("true", "false", "1", "0")  # xs:boolean
_SEN_TYPE_2025 = contract.SEN_TYPE_CODES
CODE_LISTS: dict[str, dict[int, tuple[str, ...]]] = {
    "collection": {y: ("SEN2",) for y in YEARS},
    "source_level": {y: ("L",) for y in YEARS},
    "gender_current": {2024: ("0", "1", "2", "9")},  # not known, male, female, not specified
    "sex": {2025: contract.SEX_CODES},
    "ethnicity": {y: contract.ETHNICITY_CODES for y in YEARS},
    "upn_unknown": {y: tuple(f"UN{i}" for i in range(1, 11)) for y in YEARS},
    "boolean": {y: BOOLEAN_CODES for y in YEARS},
    "request_outcome": {y: contract.REQUEST_OUTCOME_CODES for y in YEARS},
    "assessment_outcome": {y: contract.ASSESSMENT_OUTCOME_CODES for y in YEARS},
    "cease_reason": {y: contract.CEASE_REASON_CODES for y in YEARS},
    "sen_setting": {y: contract.SEN_SETTING_CODES for y in YEARS},
    "review_outcome": {2025: contract.REVIEW_OUTCOME_CODES},
    "sen_type": {2024: tuple(c for c in _SEN_TYPE_2025 if c != "DS"), 2025: _SEN_TYPE_2025},
}

_H, _P, _R, _A = "header", "person", "requests", "assessment"
_NP, _PD, _AP, _PL, _SN = ("named_plan", "plan_detail", "active_plans", "placement_detail",
                           "sen_need")
_CD, _SRC = "CollectionDetails", "Source"
ITEMS = (
    # module 0: header
    Item(_H, "Collection", "code", True, "collection", group=_CD),
    Item(_H, "Year", "year", True, group=_CD),
    Item(_H, "ReferenceDate", "date", True, group=_CD),
    Item(_H, "SourceLevel", "code", True, "source_level", group=_SRC),
    Item(_H, "LEA", "la", True, group=_SRC),
    Item(_H, "SoftwareCode", group=_SRC),
    Item(_H, "Release", group=_SRC),
    Item(_H, "SerialNo", group=_SRC),
    Item(_H, "DateTime", group=_SRC),
    # Designated Medical / Clinical Officer: columns of the Blade export's sen2 file in every
    # layout witan.sen2 reads (the DfE publishes them as Yes/No/Recruiting); where they stand
    # in the XML header is not known here, so they are read at any depth and written under it.
    Item(_H, "DMO"),
    Item(_H, "DCO"),
    # module 1: person
    Item(_P, "Surname", mandatory=True, personal=True),
    Item(_P, "Forename", mandatory=True, personal=True),
    Item(_P, "PersonBirthDate", "date", True, personal=True),
    Item(_P, "GenderCurrent", "code", True, "gender_current", UNTIL_2024),
    Item(_P, "Sex", "code", True, "sex", FROM_2025),
    Item(_P, "Ethnicity", "code", codes="ethnicity"),
    Item(_P, "PostCode", personal=True),
    Item(_P, "UPN", "upn", personal=True),
    Item(_P, "UniqueLearnerNumber", personal=True),
    Item(_P, "UPNunknown", "code", codes="upn_unknown"),
    # module 2: requests
    Item(_R, "ReceivedDate", "date", True),
    Item(_R, "RYA", "code", True, "boolean"),
    Item(_R, "RequestOutcomeDate", "date"),
    Item(_R, "RequestOutcome", "code", codes="request_outcome"),
    Item(_R, "RequestMediation", "code", codes="boolean"),
    Item(_R, "RequestTribunal", "code", codes="boolean"),
    Item(_R, "Exported", "code", codes="boolean"),
    # module 3: assessment
    Item(_A, "AssessmentOutcome", "code", codes="assessment_outcome"),
    Item(_A, "AssessmentOutcomeDate", "date"),
    Item(_A, "AssessmentMediation", "code", codes="boolean"),
    Item(_A, "AssessmentTribunal", "code", codes="boolean"),
    Item(_A, "OtherMediation", "code", codes="boolean"),
    Item(_A, "OtherTribunal", "code", codes="boolean"),
    Item(_A, "Week20", "code", codes="boolean"),
    # module 4a: named plan
    Item(_NP, "StartDate", "date", True),
    Item(_NP, "PlanRes"),
    Item(_NP, "PlanWBP"),
    Item(_NP, "PB", "code", codes="boolean"),
    Item(_NP, "OA", "code", codes="boolean"),
    Item(_NP, "DP", "code", codes="boolean"),
    Item(_NP, "CeaseDate", "date"),
    Item(_NP, "CeaseReason", "code", codes="cease_reason"),
    # module 4b: plan detail
    Item(_PD, "URN", "urn"),
    Item(_PD, "UKPRN", "ukprn"),
    Item(_PD, "SENSetting", "code", codes="sen_setting"),
    Item(_PD, "SENSettingOther"),
    Item(_PD, "PlacementRank", "rank", True),
    Item(_PD, "SENUnitIndicator", "code", codes="boolean"),
    Item(_PD, "ResourcedProvisionIndicator", "code", codes="boolean"),
    # module 5a: active plans
    Item(_AP, "TransferLA", "la"),
    Item(_AP, "Res", years=UNTIL_2024),
    Item(_AP, "WBP", years=UNTIL_2024),
    Item(_AP, "ReviewMeeting", "date", years=FROM_2025),
    Item(_AP, "ReviewOutcome", "code", codes="review_outcome", years=FROM_2025),
    Item(_AP, "LastReview", "date"),
    # module 5b: placement detail
    Item(_PL, "Res", years=FROM_2025),
    Item(_PL, "WBP", years=FROM_2025),
    Item(_PL, "URN", "urn"),
    Item(_PL, "UKPRN", "ukprn"),
    Item(_PL, "SENSetting", "code", codes="sen_setting"),
    Item(_PL, "SENSettingOther"),
    Item(_PL, "PlacementRank", "rank", True),
    Item(_PL, "EntryDate", "date", True),
    Item(_PL, "LeavingDate", "date"),
    Item(_PL, "AttendancePattern", years=UNTIL_2024),
    Item(_PL, "SENUnitIndicator", "code", codes="boolean"),
    Item(_PL, "ResourcedProvisionIndicator", "code", codes="boolean"),
    # module 5c: SEN need
    Item(_SN, "SENtype", "code", True, "sen_type"),
    Item(_SN, "SENtypeRank", "rank", True),
)

# Items of which a record must fill at least one / exactly one (rule one_of_items).
AT_LEAST_ONE, EXACTLY_ONE = "at_least_one", "exactly_one"
ONE_OF = (
    ("person", ("upn", "uniquelearnernumber", "upnunknown"), AT_LEAST_ONE),
    ("plan_detail", ("urn", "ukprn", "sensetting"), EXACTLY_ONE),
    ("placement_detail", ("urn", "ukprn", "sensetting"), EXACTLY_ONE),
)
# Items identifying a person: one person record per value (rule duplicate_person).
PERSON_IDENTIFIERS = ("upn", "uniquelearnernumber")

# Dates within the collection: never after its reference date (the census); event dates
# never before EHC plans existed (Children and Families Act 2014 in force 1 September 2014);
# dates of birth no more than 26 years before the reference date (the return covers ages 0-25).
EHCP_START = dt.date(2014, 9, 1)
MAX_AGE_YEARS = 26
BIRTH_DATE_ITEMS = ("personbirthdate",)

# Blade export: the columns each module's file has besides its items (its own identifier and
# its parent's are added per module, see blade_key_columns).
BLADE_NATIVE_ID = "NativeId"
BLADE_SOURCE_ID = "sourceid"
BLADE_FILE_PATTERN = "Blade-Export_{date}_{module}.csv"  # date as dd-mm-yyyy


def items(module: str, year: int) -> tuple[Item, ...]:
    """The module's items in the given collection year, in specification order."""
    return _items(module, year)


@lru_cache(maxsize=None)
def _items(module: str, year: int) -> tuple[Item, ...]:
    return tuple(i for i in ITEMS if i.module == module and year in i.years)


def item(module: str, name: str, year: int) -> Item | None:
    return next((i for i in items(module, year) if i.name == name), None)


def known_anywhere(module: str, name: str) -> Item | None:
    """The item of this name in any year (for naming an item a year does not have)."""
    return next((i for i in ITEMS if i.module == module and i.name == name), None)


def codes(item_: Item, year: int) -> tuple[str, ...]:
    return CODE_LISTS[item_.codes][year]


def blade_key_columns(module: str) -> tuple[str, ...]:
    """The Blade file's identifier columns for a module: its own id, NativeId, its order
    sequence, sourceid and (except the header) its parent's id."""
    m = MODULE[module]
    own = (m.id_column, BLADE_NATIVE_ID, f"{m.blade}orderseqcolumn", BLADE_SOURCE_ID)
    return own + ((MODULE[m.parent].id_column,) if m.parent else ())


def blade_file_name(module: str, export_date: dt.date) -> str:
    return BLADE_FILE_PATTERN.format(date=f"{export_date:%d-%m-%Y}", module=MODULE[module].blade)


def supported_year(value: str | None) -> int | None:
    """The collection year a header's ``year`` names, when this table describes it."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and int(text) in YEARS else None


_BLADE_DATE = re.compile(r"(\d{4})-([A-Za-z]{3})-(\d{2})(?: 00:00:00)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def parse_date(value: str) -> dt.date | None:
    """A SEN2 date: ``yyyy-mm-dd`` (the XML return) or ``yyyy-Mon-dd 00:00:00`` (the Blade
    export, as COLLECT writes it); None when it is neither or not a real date."""
    text = value.strip()
    try:
        if match := _ISO_DATE.fullmatch(text):
            return dt.date(*(int(part) for part in match.groups()))
        if (match := _BLADE_DATE.fullmatch(text)) and match[2].lower() in _MONTHS:
            return dt.date(int(match[1]), _MONTHS[match[2].lower()], int(match[3]))
    except ValueError:
        return None
    return None


DATE_SHOWN = "yyyy-mm-dd"
