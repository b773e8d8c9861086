"""The data contract (docs/DATA-CONTRACT.md) as data: one source of truth for every input.

The sample generator writes these headers, the bronze loaders validate against these rules,
and the tests check both. Field names are lower-case; CSV headers are matched to them
case-insensitively after trimming spaces.

Each field has a ``kind`` naming the rule its values must satisfy:

* ``int``      whole number (optionally signed)
* ``decimal``  number with optional fraction
* ``date``     ``dd/mm/yyyy`` (Synergy, returns) / ``dd-mm-yyyy`` (GIAS) or ISO ``yyyy-mm-dd``
* ``flag``     Y/N style (Y, N, Yes, No, 1, 0, true, false; blank = unknown)
* ``code``     one of ``codes`` (case-insensitive match, stored as given)
* ``urn``      6 digits; ``ukprn`` 8 digits
* ``upn``      13 characters, check letter + 12 digits, DfE check letter valid
* ``academic_year``  ``YYYY/YY`` with consecutive years
* ``text``     anything

Invalid values: reject the row, or blank the value
--------------------------------------------------
Only what cannot be used is rejected. A row is rejected (error in ``bronze.load_errors``)
when a key, a required value or a row rule is broken; an invalid value of an optional field
is blanked instead: the row loads with that value NULL and a *warning* names the file, row,
column and rule (the whole raw row stays in ``load_errors.raw_record`` and the archive, so
nothing is lost). ``Field.blanks_invalid`` says which, field by field:

* keys, required fields and required foreign keys reject the row (``required=True``);
* optional fields (``required=False``) and GIAS values that may be blank
  (``blank_allowed=True``) are blanked;
* a few optional fields reject anyway (``on_invalid=REJECT_ROW``) because a blank would say
  something false: ``named_plan.cease_date`` (blank = the plan is still active),
  ``placement.leaving_date`` (blank = the child is still on roll there), and the
  establishment group ``placement.urn`` / ``ukprn`` / ``sen_setting`` (exactly one of them
  names where the child is placed; a placement without it is not a placement).

Source by source, the optional fields that are blanked when invalid:

* person.csv: upn (a wrong check letter blanks the UPN, the child stays), ethnicity,
  home_easting, home_northing, home_district (uln, surname, forename, postcode are free text);
* request.csv: request_source, rya, request_outcome, request_outcome_date;
* assessment.csv: assessment_outcome, assessment_outcome_date, week20_exception;
* named_plan.csv: assessment_id (an optional foreign key: blanked too when it matches no
  loaded assessment, so the plan reads as transferred in), cease_reason;
* sen_need.csv: none (every field is part of the key or required);
* placement.csv: sen_unit_indicator, resourced_provision_indicator, srp_designation;
* annual_review.csv: review_outcome, review_decision_date;
* GIAS: StatutoryLowAge, StatutoryHighAge, Easting, Northing, TypeOfResourcedProvision and
  the four capacity / on-roll counts (columns that must be present but may be blank);
* SRP register: sla_start, sla_end;
* DfE statistics: every value is text (no value rules).

A row rejected in a parent file takes the rows that depend on it through a *required*
foreign key with it (a cascade), each reported with the parent row that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration import council

# ---------------------------------------------------------------------------------------
# Code sets (SEN2 and contract codes)
# ---------------------------------------------------------------------------------------
SEX_CODES = ("M", "F", "U")
ETHNICITY_CODES = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM",
    "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH",
    "BCRB", "BAFR", "BOTH",
    "CHNE", "OOTH", "REFU", "NOBT",
)
REQUEST_SOURCE_CODES = ("1", "2", "3", "4", "5")
REQUEST_OUTCOME_CODES = ("A", "N", "W")
ASSESSMENT_OUTCOME_CODES = ("I", "N", "W")
CEASE_REASON_CODES = tuple(str(i) for i in range(1, 10))
SEN_TYPE_CODES = (
    "SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS", "OTH",
)
SEN_SETTING_CODES = ("OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO")
REVIEW_OUTCOME_CODES = ("M", "A", "C")
SRP_PHASE_CODES = ("Primary", "Secondary", "All-through", "Post-16")
RETURN_DESTINATION_CODES = (
    "secondary SRP", "mainstream", "special school", "independent/non-maintained",
    "other LA", "other",
)
RESOURCED_PROVISION_TYPES = (
    "Not applicable", "Resourced provision", "Resourced provision and SEN unit", "SEN unit",
)

# The configured council (councils/<LA code>-<name>.toml, SEND_COUNCIL; Kent by default),
# validated when this module is imported: a Synergy home_district is one of its districts or
# 'Out of county'.
COUNCIL = council.current()
AREAS_BY_DISTRICT = COUNCIL.areas_by_district
OUT_OF_COUNTY = council.OUT_OF_COUNTY
HOME_DISTRICT_CODES = COUNCIL.home_district_codes

TRUE_FLAGS = ("y", "yes", "1", "true")
FALSE_FLAGS = ("n", "no", "0", "false")

# What an invalid value does (Field.on_invalid; see the module docstring)
REJECT_ROW = "reject_row"
BLANK_VALUE = "blank_value"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    personal: bool = False  # a direct identifier: may live in bronze only
    blank_allowed: bool = False  # required column whose value may be blank (GIAS capacities)
    minimum: int | None = None  # smallest allowed value for int/decimal fields
    not_future: bool = False  # an event date: may not be after the extract/file date
    on_invalid: str | None = None  # REJECT_ROW / BLANK_VALUE; None: by required/blank_allowed

    @property
    def blanks_invalid(self) -> bool:
        """True when an invalid value is blanked (warning, row kept) rather than rejecting the
        row: optional values, unless the field says otherwise (module docstring)."""
        if self.on_invalid is not None:
            return self.on_invalid == BLANK_VALUE
        return not self.required or self.blank_allowed


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_file: str
    ref_column: str
    optional: bool = False  # blank allowed (e.g. plans transferred in have no assessment)


@dataclass(frozen=True)
class CsvSource:
    name: str  # bronze table name, e.g. synergy_person
    file_name: str  # file name inside its landing folder
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    date_style: str = "uk"  # uk: dd/mm/yyyy, gias: dd-mm-yyyy (ISO always accepted)
    extra_columns_allowed: bool = True
    exactly_one_of: tuple[str, ...] = ()  # each row must fill exactly one of these columns
    exactly_one_rule: str = "exactly_one_of"  # the load_errors rule code when it does not

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# ---------------------------------------------------------------------------------------
# 1. Synergy nightly extract: synergy/<YYYY-MM-DD>/<file>, complete when _SUCCESS exists
# ---------------------------------------------------------------------------------------
SYNERGY_SUCCESS_MARKER = "_SUCCESS"

SYNERGY_PERSON = CsvSource(
    name="synergy_person",
    file_name="person.csv",
    key=("person_id",),
    fields=(
        Field("person_id", "int", required=True),
        Field("upn", "upn", personal=True),
        Field("uln", "text", personal=True),
        Field("surname", "text", personal=True),
        Field("forename", "text", personal=True),
        Field("date_of_birth", "date", required=True, not_future=True, personal=True),
        Field("sex", "code", required=True, codes=SEX_CODES),
        Field("ethnicity", "code", codes=ETHNICITY_CODES),
        Field("postcode", "text", personal=True),
        Field("home_easting", "decimal", personal=True),
        Field("home_northing", "decimal", personal=True),
        Field("home_district", "code", codes=HOME_DISTRICT_CODES),
    ),
)
SYNERGY_REQUEST = CsvSource(
    name="synergy_request",
    file_name="request.csv",
    key=("request_id",),
    fields=(
        Field("request_id", "int", required=True),
        Field("person_id", "int", required=True),
        Field("received_date", "date", required=True, not_future=True),
        Field("request_source", "code", codes=REQUEST_SOURCE_CODES),
        Field("rya", "flag"),
        Field("request_outcome", "code", codes=REQUEST_OUTCOME_CODES),
        Field("request_outcome_date", "date", not_future=True),
    ),
    foreign_keys=(ForeignKey("person_id", "person.csv", "person_id"),),
)
SYNERGY_ASSESSMENT = CsvSource(
    name="synergy_assessment",
    file_name="assessment.csv",
    key=("assessment_id",),
    fields=(
        Field("assessment_id", "int", required=True),
        Field("request_id", "int", required=True),
        Field("assessment_outcome", "code", codes=ASSESSMENT_OUTCOME_CODES),
        Field("assessment_outcome_date", "date", not_future=True),
        Field("week20_exception", "flag"),
    ),
    foreign_keys=(ForeignKey("request_id", "request.csv", "request_id"),),
)
SYNERGY_NAMED_PLAN = CsvSource(
    name="synergy_named_plan",
    file_name="named_plan.csv",
    key=("plan_id",),
    fields=(
        Field("plan_id", "int", required=True),
        Field("person_id", "int", required=True),
        Field("assessment_id", "int"),
        Field("start_date", "date", required=True, not_future=True),
        Field("cease_date", "date", on_invalid=REJECT_ROW),  # blank = still active
        Field("cease_reason", "code", codes=CEASE_REASON_CODES),
    ),
    foreign_keys=(
        ForeignKey("person_id", "person.csv", "person_id"),
        ForeignKey("assessment_id", "assessment.csv", "assessment_id", optional=True),
    ),
)
SYNERGY_SEN_NEED = CsvSource(
    name="synergy_sen_need",
    file_name="sen_need.csv",
    key=("plan_id", "sen_type_rank"),
    fields=(
        Field("plan_id", "int", required=True),
        Field("sen_type", "code", required=True, codes=SEN_TYPE_CODES),
        Field("sen_type_rank", "int", required=True),
    ),
    foreign_keys=(ForeignKey("plan_id", "named_plan.csv", "plan_id"),),
)
SYNERGY_PLACEMENT = CsvSource(
    name="synergy_placement",
    file_name="placement.csv",
    key=("placement_id",),
    fields=(
        Field("placement_id", "int", required=True),
        Field("plan_id", "int", required=True),
        # the establishment: exactly one of the three, so an invalid one rejects the row
        Field("urn", "urn", on_invalid=REJECT_ROW),
        Field("ukprn", "ukprn", on_invalid=REJECT_ROW),
        Field("sen_setting", "code", codes=SEN_SETTING_CODES, on_invalid=REJECT_ROW),
        Field("placement_rank", "int", required=True),
        Field("entry_date", "date", required=True),
        Field("leaving_date", "date", on_invalid=REJECT_ROW),  # blank = still on roll
        Field("sen_unit_indicator", "flag"),
        Field("resourced_provision_indicator", "flag"),
        Field("srp_designation", "code", codes=SEN_TYPE_CODES),
    ),
    foreign_keys=(ForeignKey("plan_id", "named_plan.csv", "plan_id"),),
    exactly_one_of=("urn", "ukprn", "sen_setting"),
    exactly_one_rule="placement_establishment",
)
SYNERGY_ANNUAL_REVIEW = CsvSource(
    name="synergy_annual_review",
    file_name="annual_review.csv",
    key=("review_id",),
    fields=(
        Field("review_id", "int", required=True),
        Field("plan_id", "int", required=True),
        Field("review_meeting_date", "date", required=True, not_future=True),
        Field("review_outcome", "code", codes=REVIEW_OUTCOME_CODES),
        Field("review_decision_date", "date", not_future=True),
    ),
    foreign_keys=(ForeignKey("plan_id", "named_plan.csv", "plan_id"),),
)
SYNERGY_FILES: tuple[CsvSource, ...] = (
    SYNERGY_PERSON, SYNERGY_REQUEST, SYNERGY_ASSESSMENT, SYNERGY_NAMED_PLAN,
    SYNERGY_SEN_NEED, SYNERGY_PLACEMENT, SYNERGY_ANNUAL_REVIEW,
)

# ---------------------------------------------------------------------------------------
# 2. GIAS register: gias/edubase_<YYYYMMDD>.csv, Windows-1252, GIAS headers (130+ columns)
# ---------------------------------------------------------------------------------------
GIAS = CsvSource(
    name="gias_establishment",
    file_name="edubase_*.csv",
    key=("URN",),  # a field name, like every key (bronze column: urn)
    date_style="gias",
    fields=(
        Field("URN", "urn", required=True),
        Field("LA (code)", "text", required=True),
        Field("LA (name)", "text", required=True),
        Field("EstablishmentNumber", "text", required=True, blank_allowed=True),
        Field("EstablishmentName", "text", required=True),
        Field("TypeOfEstablishment (name)", "text", required=True),
        Field("EstablishmentTypeGroup (name)", "text", required=True),
        Field("EstablishmentStatus (name)", "text", required=True),
        Field("PhaseOfEducation (name)", "text", required=True),
        Field("StatutoryLowAge", "int", required=True, blank_allowed=True),
        Field("StatutoryHighAge", "int", required=True, blank_allowed=True),
        Field("DistrictAdministrative (name)", "text", required=True, blank_allowed=True),
        Field("Easting", "decimal", required=True, blank_allowed=True),
        Field("Northing", "decimal", required=True, blank_allowed=True),
        Field("TypeOfResourcedProvision (name)", "code", required=True, blank_allowed=True,
              codes=RESOURCED_PROVISION_TYPES),
        Field("ResourcedProvisionCapacity", "int", required=True, blank_allowed=True, minimum=0),
        Field("ResourcedProvisionOnRoll", "int", required=True, blank_allowed=True, minimum=0),
        Field("SenUnitCapacity", "int", required=True, blank_allowed=True, minimum=0),
        Field("SenUnitOnRoll", "int", required=True, blank_allowed=True, minimum=0),
    ),
)


def gias_column_name(header: str) -> str:
    """Bronze column name for a GIAS header: ``LA (code)`` -> ``la_code``."""
    out = []
    prev_lower = False
    for ch in header.replace("(name)", "name").replace("(code)", "code"):
        if ch.isupper() and prev_lower:
            out.append("_")
        if ch.isalnum():
            out.append(ch.lower())
            prev_lower = ch.islower() or ch.isdigit()
        else:
            if out and out[-1] != "_":
                out.append("_")
            prev_lower = False
    return "".join(out).strip("_")


# ---------------------------------------------------------------------------------------
# 3. SRP register: srp_register/srp_register_<YYYY-YY>.csv, one per academic year
# ---------------------------------------------------------------------------------------
SRP_REGISTER = CsvSource(
    name="srp_register",
    file_name="srp_register_*.csv",
    key=("srp_id", "designation", "academic_year"),
    fields=(
        Field("srp_id", "text", required=True),
        Field("urn", "urn", required=True),
        Field("designation", "code", required=True, codes=SEN_TYPE_CODES),
        Field("phase", "code", required=True, codes=SRP_PHASE_CODES),
        Field("academic_year", "academic_year", required=True),
        Field("commissioned_places", "int", required=True, minimum=0),
        Field("sla_start", "date"),
        Field("sla_end", "date"),
        Field("place_funding_gbp", "decimal", required=True),
        Field("top_up_gbp", "decimal", required=True),
    ),
)

# ---------------------------------------------------------------------------------------
# 5. DfE published statistics: dfe/sen2_mi.csv (z, x, c are values, not errors)
# ---------------------------------------------------------------------------------------
DFE_SEN2_MI_FILE = "sen2_mi.csv"
# Every column of the file is kept as text (bronze adds columns a new release brings). The
# explore-education-statistics standard columns are required; the rest are the columns of the
# 2022 release, listed so the bronze table has them before the first file lands.
_EES_REQUIRED = ("time_period", "time_identifier", "geographic_level")
_DFE_SEN2_MI_OPTIONAL = """
country_code country_name region_code region_name new_la_code old_la_code la_name
ass_nodecision ass_nodecision_ehc ass_none ass_none_ehc ass_none_ehc_pc ass_refused
ass_refused_ehc ass_refused_ehc_pc assessment_mediation assessment_tribunal assessment_w
assessments direct_pay_education direct_pay_health direct_pay_integrated direct_pay_socialcare
discontinued_abroad discontinued_age discontinued_deceased discontinued_employment
discontinued_unknown discontinued_engage discontinued_he discontinued_lea discontinued_lea_ehc
discontinued_lea_noncomp discontinued_left discontinued_left_ehc discontinued_met
discontinued_met_ehc discontinued_met_noncomp discontinued_other discontinued_other_ehc
discontinued_other_noncomp discontinued_total inc_exc_20week_ehc inc_exc_20week_rate
inc_exc_26week inreq_ehc inreq_ehc_a inreq_ehc_w inreq_ehc_y inreq_rya_ehc mainstream_to_home
mainstream_to_home_ehc mainstream_to_special mainstream_to_special_ehc new_all_ehc
new_all_ehc_ass_none_ehc_sum new_all_ehc_pc no_exc_20week_ehc no_exc_20week_rate
no_exc_26week org_arrangements other_mediation other_tribunal total_tribunal personal_budgets
request_mediation request_tribunal special_to_home special_to_home_ehc special_to_mainstream
special_to_mainstream_ehc statements_no_ehc statements_to_ehc tot_inc_exc tot_inc_exc_ehc
tot_no_exc tot_no_exc_ehc total_mediation total_tribunal_followed_mediation total_tribunal_pc
""".split()
DFE_SEN2_MI = CsvSource(
    name="dfe_sen2_mi",
    file_name=DFE_SEN2_MI_FILE,
    key=(),
    fields=tuple(Field(name, "text", required=True) for name in _EES_REQUIRED)
    + tuple(Field(name, "text") for name in _DFE_SEN2_MI_OPTIONAL),
)

# Landing folder layout (relative to the landing root)
LANDING_SYNERGY = "synergy"
LANDING_GIAS = "gias"
LANDING_SRP_REGISTER = "srp_register"
LANDING_SCHOOL_RETURNS = "school_returns"
LANDING_DFE = "dfe"


def academic_year_label(start_year: int) -> str:
    """``2024`` -> ``2024/25``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def academic_year_folder(start_year: int) -> str:
    """``2024`` -> ``2024-25`` (the form used in file and folder names)."""
    return academic_year_label(start_year).replace("/", "-")


def academic_year_start(label: str) -> int:
    """``2024/25`` or ``2024-25`` -> ``2024``; ValueError if not consecutive years."""
    text = label.strip().replace("-", "/")
    head, _, tail = text.partition("/")
    if not (len(head) == 4 and head.isdigit() and len(tail) == 2 and tail.isdigit()):
        raise ValueError(f"not an academic year like 2024/25: {label!r}")
    start = int(head)
    if (start + 1) % 100 != int(tail):
        raise ValueError(f"academic year years are not consecutive: {label!r}")
    return start


def census_day(start_year: int):
    """Third Thursday of January inside the academic year starting 1 Sep ``start_year``."""
    import datetime as dt

    jan1 = dt.date(start_year + 1, 1, 1)
    first_thursday = jan1 + dt.timedelta(days=(3 - jan1.weekday()) % 7)
    return first_thursday + dt.timedelta(days=14)
