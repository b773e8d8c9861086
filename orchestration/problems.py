"""Problems are data: one row of ``bronze.load_errors`` (:class:`Problem`) and the one rule
catalogue (rule -> what is wrong -> what to do) that the CSV validator (ingest/validate.py),
the return reader (returns/reader.py) and the schools' feedback (outbox/feedback.py) share.

A leaf module: it imports nothing from the project (nor the ingest package), so
every module that records or explains a problem can import it without an import cycle.

``what`` texts follow the value in a message (``'<value>' is not a whole number``) and are
``str.format`` templates where a field's settings fill them in (``{minimum}``, ``{codes}``).
``advice`` is what the person who can fix the value should do; rules that quarantine a whole
workbook take theirs from the reference data ``seeds/ref_return_quarantine_rules.csv`` (which
dbt's silver_unreadable_returns shares).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ERROR, WARNING = "error", "warning"

QUARANTINE_RULES = Path(__file__).resolve().parents[1] / "seeds" / "ref_return_quarantine_rules.csv"


@dataclass
class Problem:
    """One row of bronze.load_errors, before the file context is added. ``cell`` is where a
    workbook problem is (``Sheet!A1``); None for CSV rows and whole-file problems."""

    rule: str
    message: str
    row_number: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = ERROR
    raw_record: str | None = None
    personal: bool = False
    sheet: str | None = None
    cell: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    advice: str
    what: dict[str, str] = field(default_factory=dict)  # variant -> "what is wrong" template


DEFAULT_ADVICE = "Correct the value and send the whole workbook again."

# A school return's cell of each kind (returns/layout.py Column.kind, with the range a number
# must lie in): the same wording in the reader's messages and the template's drop-down prompts.
_RETURN_NUMBERS = {
    "count_between": "is not a whole number between {minimum} and {maximum}",
    "count_from": "is not a whole number of {minimum} or more",
    "number_between": "is not a number between {minimum} and {maximum}",
    "number_from": "is not a number of {minimum} or more",
    "nc_year": "is not an NC year (R or 0 for Reception, 1 to 14)",
}
_RETURN_DATE = "is not a date between {earliest} and {latest} written dd/mm/yyyy, e.g. 01/09/2024"

_RULES = (
    Rule("required", "Fill in this cell (or clear the whole row if it should not be there).",
         {"default": "is blank but required",
          "table_row": "is blank; fill it in or clear the whole row",
          "form_line": "is blank; please fill it in",
          "destination_if_left": "Destination if left is blank but the pupil left the SRP; "
                                 "choose where they went"}),
    Rule("not_an_integer", "Type a whole number, in digits, with nothing else in the cell.",
         {"default": "is not a whole number"}),
    Rule("not_a_number", "Type the number only, in digits (for example 90), with no words, "
                         "symbols or spaces.",
         {"default": "is not a number", **_RETURN_NUMBERS}),
    Rule("out_of_range", "Check the value: it must be within the range given in the message.",
         {"default": "is too large to store", **_RETURN_NUMBERS, "date": _RETURN_DATE,
          "before": "is before {earliest}, earlier than this return can hold",
          "in_year": "is not in the collection year {year}"}),
    Rule("negative_value", "Check the value: it cannot be negative.",
         {"default": "is negative (must be 0 or more)"}),
    Rule("below_minimum", "Check the value: it is below the smallest value allowed.",
         {"default": "is below the minimum of {minimum}"}),
    Rule("looks_like_fraction", "Type percentages as numbers from 0 to 100, for example 95 "
                                "for 95%.",
         {"default": "looks like a fraction: type percentages as 0 to 100, e.g. 95 for 95%"}),
    Rule("unknown_code", "Choose a value from the cell's drop-down list.",
         {"default": "is not one of the allowed codes: {codes}",
          "code": "is not one of the codes in the drop-down ({codes})",
          "flag": "is not Y or N"}),
    Rule("invalid_flag", "Use Y or N.",
         {"default": "is not a Y/N flag (expected Y, N, Yes, No, 1, 0, true or false)"}),
    Rule("invalid_date", "Type the date as dd/mm/yyyy, for example 01/09/2024.",
         {"default": "is not a date (expected {shown})",
          "not_real": "is not a real date (expected {shown})",
          "date": _RETURN_DATE}),
    Rule("future_date", "Check the date: it cannot be after the date the data was extracted.",
         {"default": "is in the future: after the {label} {reference}"}),
    Rule("invalid_upn", "Copy the pupil's UPN from your MIS: a letter followed by 12 digits.",
         {"default": "is not a UPN (expected a check letter then 12 digits)",
          "length": "is not a UPN (must be 13 characters)",
          "component": "is not a UPN (characters 2-4 are not a known LA number)",
          "checksum": "is not a valid UPN (the check letter is wrong)",
          "upn": "is not a valid UPN (a check letter then 12 digits, with the right check "
                 "letter)"}),
    Rule("invalid_urn", "The URN is fixed by the council's template: use the template you "
                        "were sent for your school.",
         {"default": "is not a URN (6 digits)", "urn": "is not a 6-digit URN"}),
    Rule("invalid_ukprn", "Use the 8-digit UK Provider Reference Number.",
         {"default": "is not a UKPRN (8 digits)"}),
    Rule("invalid_academic_year", "Write the academic year like 2024/25.",
         {"default": "is not an academic year like 2024/25"}),
    Rule("academic_year_mismatch", "Check the file is the one for the year in its name.",
         {"default": "does not match the academic year {year} in the file name"}),
    Rule("formula_error", "Replace the formula with the value itself.",
         {"default": "shows the Excel error {value}; type the value itself instead"}),
    Rule("inconsistent", "Check the dates and the destination of this pupil agree.",
         {"destination_without_date": "Date left SRP is blank but a destination is given; "
                                      "add the date they left",
          "left_before_joined": "Date left SRP {left} is before Date joined SRP {joined}"}),
    Rule("duplicate_upn", "Check the pupil is not listed twice; remove the extra row if so.",
         {"default": "this UPN is also on row {row}; check the pupil is not listed twice"}),
    Rule("wrong_year", "Send the return for the year asked for, using that year's template; "
                       "this file covers a different year.",
         {"default": "return for {year} found in the {folder} folder; it should be the "
                     "{expected} return"}),
    Rule("urn_mismatch", "Check this is your school's return; send your own school's template.",
         {"default": "this is the return for URN {urn} but it was sent as URN {sent}; check "
                     "it is the right school's return"}),
    Rule("bad_folder_name", "Nothing to do: the council will file the return under the right "
                            "year."),
    # SEN2 person-level return (orchestration/sen2/validate.py)
    Rule("unsupported_year", "Send the return for a collection year the platform reads, or "
                             "extend orchestration/sen2/spec.py for the new year.",
         {"default": "is not a collection year this platform reads ({years})"}),
    Rule("unexpected_item", "Nothing to do unless the item should be there: it is kept but "
                            "not used; check the return was made for the right year.",
         {"default": "is given, but is not an item of the {year} return (kept, not used)"}),
    Rule("one_of_items", "Fill in exactly the items the specification asks for in this record.",
         {"at_least_one": "at least one of {items} must be filled (found {found})",
          "exactly_one": "exactly one of {items} must be filled (found {found})"}),
    Rule("duplicate_person", "Each child or young person appears once in the return: merge "
                             "the duplicate person records.",
         {"default": "is the same {item} as person record {position}; each person appears "
                     "once"}),
    Rule("missing_parent", "Export the whole return again: a record cannot stand without the "
                           "record it belongs to.",
         {"default": "the record it belongs to is not in the return"}),
    Rule("invalid_la_code", "Use the DfE's 3-digit local authority number, e.g. 886.",
         {"default": "is not a local authority number (3 digits)"}),
    Rule("repeated_item", "Give each item once per record and export the return again.",
         {"default": "is given more than once; the first is used"}),
)
RULES: dict[str, Rule] = {rule.name: rule for rule in _RULES}


def what(rule: str, variant: str = "default", **settings) -> str:
    """What is wrong with a value under ``rule``, worded from the catalogue."""
    return RULES[rule].what[variant].format(**settings)


def has_wording(rule: str, variant: str) -> bool:
    """Whether the catalogue words ``rule`` for ``variant`` (a return cell's kind)."""
    return rule in RULES and variant in RULES[rule].what


@lru_cache(maxsize=1)
def quarantine_advice() -> dict[str, str]:
    """What a school should do about each rule that quarantines a whole workbook."""
    with open(QUARANTINE_RULES, newline="", encoding="utf-8") as handle:
        return {row["rule"]: row["advice"] for row in csv.DictReader(handle)}


def advice(rule: str) -> str:
    """What to do about a problem under ``rule``."""
    if rule in RULES:
        return RULES[rule].advice
    return quarantine_advice().get(rule, DEFAULT_ADVICE)


def advice_by_rule() -> dict[str, str]:
    """Every rule's advice (catalogue and quarantine rules)."""
    return {**{name: rule.advice for name, rule in RULES.items()}, **quarantine_advice()}
