"""Where everything lives in the SRP annual return workbook.

The template writer and the reader both work from these specs, so a column moved here moves
in both. Two sheet shapes:

* a **table** (Places, Pupils): title in row 1, a hint in row 2, headers in row 3, one record
  per row from row 4;
* a **form** (Details, Finance, Outcomes): the same title/hint/header rows, then one field per
  row: label in column A, the value in column B, guidance in column C.

Column ``kind`` names the rule a value must satisfy (the reader checks it, the writer turns it
into an Excel data validation and number format):

``text`` anything; ``urn`` 6 digits; ``academic_year`` ``2024/25``; ``count`` whole number;
``number`` decimal; ``percent`` 0-100; ``nc_year`` R or 0-14 (0 = Reception); ``code`` one of
``CODE_LISTS[codes]``; ``flag`` Y/N (contract flag spellings accepted); ``date`` dd/mm/yyyy
(or ISO) between 2000 and 2100; ``upn`` a check letter and 12 digits with a valid check letter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from orchestration import problems
from orchestration.contract import RETURN_DESTINATION_CODES, SEN_TYPE_CODES, academic_year_start
from orchestration.returns.model import TEMPLATE_VERSION

# Template versions the reader understands. Add the old one here (and a migration in the
# reader) when the layout changes; anything else is quarantined as an unknown template.
SUPPORTED_TEMPLATE_VERSIONS = (TEMPLATE_VERSION,)

INSTRUCTIONS = "Instructions"
DETAILS = "Details"
PLACES = "Places"
PUPILS = "Pupils"
FINANCE = "Finance"
OUTCOMES = "Outcomes"
LISTS = "Lists"

TITLE_ROW = 1
HINT_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4
FORM_HEADERS = ("Item", "Value", "Guidance")
BLANK_PUPIL_ROWS = 60  # empty rows after the pre-filled pupils, for pupils the council missed

DATE_FORMAT = "dd/mm/yyyy"
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
MAX_SUSPENSION_DAYS = 190  # school days in a year

EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
    "#GETTING_DATA", "#SPILL!", "#CALC!",
})

YES_NO = ("Y", "N")
NC_YEARS = tuple(range(0, 15))  # 0 = Reception, 12-14 = post-16
RECEPTION = "R"  # what schools write for Reception: the same as NC year 0
CODE_LISTS: dict[str, tuple] = {
    "designation": SEN_TYPE_CODES,
    "destination": RETURN_DESTINATION_CODES,
    "yes_no": YES_NO,
    "nc_year": (RECEPTION, *NC_YEARS),  # the drop-down offers R as well as 0 for Reception
}
DESIGNATION_NAMES = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Vision impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "DS": "DS (SEN2 code)",
    "OTH": "Other difficulty or disability",
}


@dataclass(frozen=True)
class Column:
    """One field of the return: a table column or a form line."""

    field: str  # attribute name in model.py
    header: str  # what the school sees (table header or form label)
    kind: str = "text"
    codes: str | None = None  # key of CODE_LISTS for code / flag / nc_year kinds
    minimum: float | None = None
    maximum: float | None = None
    if_blank: str | None = None  # severity of a blank value: "error", "warning" or None
    prefilled: bool = False  # the council fills it in; locked in the template
    number_format: str = "General"
    width: int = 14
    help: str = ""

    def expectation(self, rule: str | None = None) -> str:
        """What is wrong with a value breaking ``rule`` (by default the rule a value of this
        kind must first pass), completing "<header> 'x' ..."; worded by the rule catalogue."""
        rule = rule or FIRST_RULE.get(self.kind)
        if rule is None:
            return ""
        variant, settings = self._wording()
        if not problems.has_wording(rule, variant):
            variant = "default"
        return problems.what(rule, variant, **settings)

    def _wording(self) -> tuple[str, dict[str, str]]:
        """The catalogue's variant for this column and the settings that fill it in."""
        if self.kind in ("count", "number", "percent"):
            span = "from" if self.maximum is None else "between"
            bounds = {"minimum": f"{self.minimum:g}",
                      "maximum": "" if self.maximum is None else f"{self.maximum:g}"}
            return f"{'count' if self.kind == 'count' else 'number'}_{span}", bounds
        if self.kind == "code":
            return "code", {"codes": ", ".join(CODE_LISTS[self.codes])}
        if self.kind == "date":
            return "date", {"earliest": str(EARLIEST_DATE.year), "latest": str(LATEST_DATE.year)}
        return self.kind, {}


# The rule a value of each kind must pass first: the template's drop-down prompt words it.
FIRST_RULE = {"count": "not_a_number", "number": "not_a_number", "percent": "not_a_number",
              "nc_year": "not_a_number", "date": "invalid_date", "code": "unknown_code",
              "flag": "unknown_code", "upn": "invalid_upn", "urn": "invalid_urn",
              "academic_year": "invalid_academic_year"}


def _count(field, header, **kw) -> Column:
    return Column(field, header, "count", minimum=0, number_format="0", **kw)


def _percent(field, header, **kw) -> Column:
    return Column(field, header, "percent", minimum=0, maximum=100, number_format="0.0", **kw)


def _money(field, header, help) -> Column:
    return Column(field, header, "number", minimum=0, number_format="£#,##0.00", width=16,
                  help=help)


def _date(field, header, **kw) -> Column:
    return Column(field, header, "date", number_format=DATE_FORMAT, **kw)


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    hint: str
    columns: tuple[Column, ...]
    form: bool = False  # form: one field per row (A label, B value); else a table
    blank_rows: int = 0  # tables: empty, unlocked rows added after the given records

    @property
    def headers(self) -> tuple[str, ...]:
        return FORM_HEADERS if self.form else tuple(c.header for c in self.columns)

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)

    def letter(self, field: str) -> str:
        """Column letter holding ``field`` (forms: always B)."""
        if self.form:
            return "B"
        return get_column_letter(self.columns.index(self.column(field)) + 1)

    def form_row(self, field: str) -> int:
        return FIRST_DATA_ROW + self.columns.index(self.column(field))

    def cell(self, field: str, row: int | None = None) -> str:
        """``Details!B4`` style address of a form field, or of a table field on ``row``."""
        return f"{self.letter(field)}{self.form_row(field) if self.form else row}"


DETAILS_SHEET = Sheet(
    DETAILS, "SRP annual return: details",
    "Grey cells were filled in by the council. Fill in the white cells.",
    (
        Column("urn", "URN", "urn", if_blank="error", prefilled=True,
               help="The school's Unique Reference Number (filled in by the council)."),
        Column("school_name", "School name", prefilled=True, width=40),
        Column("academic_year", "Academic year", "academic_year", if_blank="error",
               prefilled=True, help="The year this return covers (1 September to 31 August)."),
        Column("contact_role", "Contact role", if_blank="warning",
               help="Job title of the person we can ask about this return (a role, not a name)."),
        _date("date_completed", "Date completed", if_blank="warning",
              help="The date you finished this return, dd/mm/yyyy."),
        Column("template_version", "Template version", prefilled=True,
               help="Do not change: it tells the council how to read this workbook."),
    ),
    form=True,
)

PLACES_SHEET = Sheet(
    PLACES, "Places by designation",
    "One row per designation. Count pupils on the January census day (third Thursday of "
    "January) of the academic year.",
    (
        Column("designation", "Designation", "code", codes="designation", if_blank="error",
               prefilled=True, help="The type of need the places are commissioned for."),
        _count("commissioned_places", "Commissioned places", prefilled=True,
               help="Places the council commissioned for the year (filled in by the council)."),
        _count("pupils_with_ehcp", "Pupils on SRP roll with an EHCP", width=18,
               help="Pupils on the SRP roll on census day who have an EHCP."),
        _count("pupils_without_ehcp", "Pupils on roll without an EHCP (assessment places)",
               width=22, help="Pupils on the SRP roll on census day without an EHCP, usually "
                              "in an assessment place."),
        _count("vacancies", "Vacancies",
               help="Commissioned places not filled on census day."),
        _count("referrals_received", "Referrals / consultations received", width=18,
               help="Referrals and consultations about a place received during the year."),
    ),
)

PUPILS_SHEET = Sheet(
    PUPILS, "Pupils in the SRP during the year",
    "One row per pupil who was in the SRP at any time in the year. Grey cells were filled in "
    "by the council; add pupils it does not know about in the blank rows.",
    (
        Column("upn", "UPN", "upn", if_blank="error", prefilled=True, number_format="@",
               width=16, help="Unique Pupil Number: a letter then 12 digits, from your MIS."),
        Column("nc_year", "NC year", "nc_year", codes="nc_year", if_blank="error",
               prefilled=True, number_format="0", width=9,
               help="National Curriculum year this academic year: 0 (or R) = Reception, "
                    "1-14."),
        Column("designation", "Designation", "code", codes="designation", if_blank="error",
               prefilled=True, help="The SRP designation the pupil's place is under."),
        _date("date_joined", "Date joined SRP", if_blank="error", prefilled=True,
              help="Date the pupil started in the SRP."),
        _date("date_left", "Date left SRP",
              help="Only if the pupil left the SRP during the year."),
        Column("destination", "Destination if left", "code", codes="destination", width=26,
               help="Where the pupil went, if they left."),
        _percent("pct_timetable_mainstream", "% of timetable in mainstream classes", width=18,
                 help="Share of the pupil's timetable spent in mainstream classes, 0-100."),
        _percent("attendance_pct", "Attendance %", width=12,
                 help="Sessions attended / sessions possible x 100, 0-100."),
        Column("suspension_days", "Suspension days", "number", minimum=0,
               maximum=MAX_SUSPENSION_DAYS, number_format="0.0",
               help="School days lost to suspensions (fixed-term exclusions) in the year."),
        Column("permanent_exclusion", "Permanent exclusion (Y/N)", "flag", codes="yes_no",
               width=16, help="Y if the pupil was permanently excluded during the year."),
        _date("annual_review_date", "Annual review held (date)", width=16,
              help="Date of the EHCP annual review meeting held this year."),
    ),
    blank_rows=BLANK_PUPIL_ROWS,
)

FINANCE_SHEET = Sheet(
    FINANCE, "SRP finance for the academic year",
    "Income and spending of the SRP only (not the whole school), in pounds, and staff FTE.",
    (
        _money("income_place_funding", "Income: place funding",
               "Place funding received for the SRP (£)."),
        _money("income_top_up", "Income: top-up", "Top-up funding received (£)."),
        _money("income_other", "Income: other", "Any other income for the SRP (£)."),
        _money("spend_teaching_staff", "Expenditure: teaching staff",
               "Teachers' pay and on-costs (£)."),
        _money("spend_support_staff", "Expenditure: support staff",
               "Teaching assistants and other support staff (£)."),
        _money("spend_therapies", "Expenditure: therapies / specialist services",
               "Speech and language, occupational therapy, other specialists (£)."),
        _money("spend_resources", "Expenditure: resources and equipment",
               "Resources and specialist equipment (£)."),
        _money("spend_training", "Expenditure: training", "Staff training (£)."),
        _money("spend_other", "Expenditure: other", "Anything else (£)."),
        Column("fte_teachers", "Staff FTE: teachers", "number", minimum=0, number_format="0.00",
               help="Full-time equivalent teachers working in the SRP."),
        Column("fte_teaching_assistants", "Staff FTE: teaching assistants", "number",
               minimum=0, number_format="0.00",
               help="Full-time equivalent teaching assistants working in the SRP."),
    ),
    form=True,
)

OUTCOMES_SHEET = Sheet(
    OUTCOMES, "Outcomes",
    "Outreach and outcomes for the academic year.",
    (
        _count("outreach_sessions", "Outreach sessions delivered to other schools",
               help="Sessions of advice or support the SRP gave to other schools."),
        _percent("pct_parents_satisfied", "% of parents satisfied",
                 help="From your parent survey, 0-100."),
        _percent("pct_pupils_meeting_outcomes", "% of pupils meeting EHCP outcomes at review",
                 help="Of pupils with an annual review this year, the share meeting their "
                      "EHCP outcomes, 0-100."),
    ),
    form=True,
)

DATA_SHEETS = (DETAILS_SHEET, PLACES_SHEET, PUPILS_SHEET, FINANCE_SHEET, OUTCOMES_SHEET)
SHEET_ORDER = (INSTRUCTIONS, DETAILS, PLACES, PUPILS, FINANCE, OUTCOMES, LISTS)


def list_range(codes: str) -> str:
    """Absolute range on the hidden Lists sheet holding a code list (data validation source)."""
    letter = get_column_letter(list(CODE_LISTS).index(codes) + 1)
    return f"{LISTS}!${letter}$2:${letter}${len(CODE_LISTS[codes]) + 1}"


def default_deadline(academic_year: str) -> dt.date:
    """Returns are due on 30 September after the academic year ends (31 August); the warehouse
    uses the same rule (dbt var return_deadline_days_after_year_end)."""
    return dt.date(academic_year_start(academic_year) + 1, 9, 30)
