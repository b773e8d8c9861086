"""Field rules from contract.py applied to CSV rows: one validator for every CSV source.

Each broken rule becomes a :class:`Problem` (a row of bronze.load_errors); a row with any
error-severity problem is rejected, all its problems are reported at once. Values are kept
as landed (trimmed, blank -> None): typing is silver's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.gb import upn as upn_rule

from orchestration import contract
from orchestration.ingest.csv_reader import RawCsv
from orchestration.ingest.registry import ERROR, Problem, raw_record_json

_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE_PATTERNS = {
    "uk": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "dd/mm/yyyy"),
    "gias": (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), "dd-mm-yyyy"),
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FLAGS = frozenset(contract.TRUE_FLAGS + contract.FALSE_FLAGS)


@dataclass(frozen=True)
class Context:
    source_file: str
    reference_date: dt.date | None = None  # event dates may not be after it
    reference_label: str = "extract date"
    academic_year: str | None = None  # from the file name, e.g. 2024/25


@dataclass
class Row:
    row_number: int
    values: dict[str, str | None]  # by contract field name
    fields: list[str]  # the raw row
    headers: list[str]  # the file's header row

    @property
    def raw_record(self) -> str:
        """JSON of the whole raw row (built only when a problem needs it)."""
        return raw_record_json(self.headers, self.fields)


@dataclass
class Checked:
    rows_landed: int
    accepted: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header in the file

    @property
    def rows_rejected(self) -> int:
        return self.rows_landed - len(self.accepted)


def clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# --- single values -------------------------------------------------------------------------
# Each check returns None when the value is fine, else (rule, what is wrong with it).

def parse_date(value: str, style: str) -> dt.date | None:
    """The date, or None if ``value`` is not a real date in the style or ISO form."""
    pattern, _ = _DATE_PATTERNS[style]
    if match := pattern.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _check_date(value: str, f: contract.Field, source: contract.CsvSource, ctx: Context):
    pattern, shown = _DATE_PATTERNS[source.date_style]
    parsed = parse_date(value, source.date_style)
    if parsed is None:
        looks_like_date = pattern.fullmatch(value) or _ISO_DATE.fullmatch(value)
        what = "is not a real date" if looks_like_date else "is not a date"
        return "invalid_date", f"{what} (expected {shown})"
    if f.not_future and ctx.reference_date and parsed > ctx.reference_date:
        return "future_date", (f"is in the future: after the {ctx.reference_label}"
                               f" {ctx.reference_date:%d/%m/%Y}")
    return None


def _check_number(value: str, f: contract.Field):
    if f.kind == "int" and not _INT.fullmatch(value):
        return "not_an_integer", "is not a whole number"
    if f.kind == "decimal" and not _DECIMAL.fullmatch(value):
        return "not_a_number", "is not a number"
    if f.minimum is not None and float(value) < f.minimum:
        if f.minimum == 0:
            return "negative_value", "is negative (must be 0 or more)"
        return "below_minimum", f"is below the minimum of {f.minimum}"
    return None


@lru_cache(maxsize=None)
def _lower(codes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(code.lower() for code in codes)


def _check_upn(value: str):
    try:
        upn_rule.validate(value)
    except InvalidLength:
        return "invalid_upn", "is not a UPN (must be 13 characters)"
    except InvalidComponent:
        return "invalid_upn", "is not a UPN (characters 2-4 are not a known LA number)"
    except InvalidChecksum:
        return "invalid_upn", "is not a valid UPN (the check letter is wrong)"
    except Exception:  # InvalidFormat and anything stdnum adds later
        return "invalid_upn", "is not a UPN (expected a check letter then 12 digits)"
    return None


def _check_academic_year(value: str, ctx: Context):
    try:
        start = contract.academic_year_start(value)
    except ValueError:
        return "invalid_academic_year", "is not an academic year like 2024/25"
    if ctx.academic_year and start != contract.academic_year_start(ctx.academic_year):
        return "academic_year_mismatch", (
            f"does not match the academic year {ctx.academic_year} in the file name")
    return None


def check_value(value: str, f: contract.Field, source: contract.CsvSource, ctx: Context):
    kind = f.kind
    if kind in ("int", "decimal"):
        return _check_number(value, f)
    if kind == "date":
        return _check_date(value, f, source, ctx)
    if kind == "flag" and value.lower() not in _FLAGS:
        return "invalid_flag", "is not a Y/N flag (expected Y, N, Yes, No, 1, 0, true or false)"
    if kind == "code" and value.lower() not in _lower(f.codes):
        return "unknown_code", "is not one of the allowed codes: " + ", ".join(f.codes)
    if kind == "urn" and not (len(value) == 6 and value.isdigit()):
        return "invalid_urn", "is not a URN (6 digits)"
    if kind == "ukprn" and not (len(value) == 8 and value.isdigit()):
        return "invalid_ukprn", "is not a UKPRN (8 digits)"
    if kind == "upn":
        return _check_upn(value)
    if kind == "academic_year":
        return _check_academic_year(value, ctx)
    return None


# --- rows --------------------------------------------------------------------------------

def cell_problem(ctx: Context, row: Row, column: str, value: str | None, rule: str,
                 what: str, personal: bool = False) -> Problem:
    """A problem with one cell; personal values are kept in ``value`` but never in the message."""
    shown = "the value" if personal or value is None else f"'{value}'"
    message = f"{ctx.source_file} row {row.row_number}, column {column}: {shown} {what}"
    return Problem(rule, message, row.row_number, column, value, ERROR, row.raw_record, personal)


def _row_problems(row: Row, source: contract.CsvSource, headers: dict[str, str],
                  ctx: Context) -> list[Problem]:
    problems = []
    for f in source.fields:
        value = row.values.get(f.name)
        if value is None:
            if f.required and not f.blank_allowed:
                problems.append(cell_problem(ctx, row, headers[f.name], None, "required",
                                             "is blank but required"))
            continue
        if broken := check_value(value, f, source, ctx):
            problems.append(cell_problem(ctx, row, headers[f.name], value, *broken,
                                         personal=f.personal))
    if source.exactly_one_of:
        problems.extend(_exactly_one_problem(row, source, ctx))
    return problems


def _exactly_one_problem(row: Row, source: contract.CsvSource, ctx: Context) -> list[Problem]:
    filled = [name for name in source.exactly_one_of if row.values.get(name) is not None]
    if len(filled) == 1:
        return []
    found = " and ".join(filled) if filled else "none"
    message = (f"{ctx.source_file} row {row.row_number}: exactly one of "
               f"{', '.join(source.exactly_one_of)} must be filled (found {found})")
    value = "; ".join(f"{name}={row.values[name]}" for name in filled) or None
    return [Problem(source.exactly_one_rule, message, row.row_number,
                    ", ".join(source.exactly_one_of), value, ERROR, row.raw_record)]


def _wrong_field_count(ctx: Context, number: int, fields: list[str], width: int,
                       raw_record: str) -> Problem:
    message = (f"{ctx.source_file} row {number}: has {len(fields)} fields but the header has"
               f" {width} (a truncated or badly quoted row); the row was not loaded")
    return Problem("wrong_field_count", message, number, None, None, ERROR, raw_record)


def _duplicate_problem(ctx: Context, row: Row, key: tuple, first_row: int,
                       source: contract.CsvSource, headers: dict[str, str]) -> Problem:
    columns = ", ".join(headers[name] for name in source.key)
    shown = ", ".join(str(part) for part in key)
    message = (f"{ctx.source_file} row {row.row_number}, column {columns}: key '{shown}'"
               f" already appears on row {first_row}; only the first row with a key is used")
    return Problem("duplicate_key", message, row.row_number, columns, shown, ERROR,
                   row.raw_record)


def check_rows(raw: RawCsv, columns: dict[str, int], source: contract.CsvSource,
               ctx: Context) -> Checked:
    """Apply the field, row and duplicate-key rules to every data row of a file."""
    headers = {f.name: raw.headers[columns[f.name]] if f.name in columns else f.name
               for f in source.fields}
    width = len(raw.headers)
    checked = Checked(rows_landed=len(raw.records), headers=headers)
    first_row_of_key: dict[tuple, int] = {}
    for number, fields in raw.records:
        if len(fields) != width:
            raw_record = raw_record_json(raw.headers, fields)
            checked.problems.append(_wrong_field_count(ctx, number, fields, width, raw_record))
            continue
        row = Row(number, {name: clean(fields[i]) for name, i in columns.items()}, fields,
                  raw.headers)
        for f in source.fields:
            row.values.setdefault(f.name, None)
        problems = _row_problems(row, source, headers, ctx)
        key = tuple(row.values[name] for name in source.key)
        if source.key and None not in key:
            if key in first_row_of_key:
                problems.append(_duplicate_problem(ctx, row, key, first_row_of_key[key],
                                                   source, headers))
            else:
                first_row_of_key[key] = number
        checked.problems.extend(problems)
        if not any(p.severity == ERROR for p in problems):
            checked.accepted.append(row)
    return checked


def reject_orphans(checked: Checked, fk: contract.ForeignKey, parent_keys: set[str],
                   ctx: Context) -> None:
    """Reject accepted rows whose foreign key is not among the parent file's loaded keys."""
    kept = []
    for row in checked.accepted:
        value = row.values.get(fk.column)
        if value is None or value in parent_keys:
            kept.append(row)
            continue
        what = (f"does not match any {fk.ref_column} loaded from {fk.ref_file}"
                " in the same extract")
        checked.problems.append(cell_problem(ctx, row, checked.headers[fk.column], value,
                                             "orphan_foreign_key", what))
    checked.accepted = kept
