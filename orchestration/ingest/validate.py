"""Field rules from contract.py applied to CSV rows: one validator for every CSV source.

Each broken rule becomes a :class:`Problem` (a row of bronze.load_errors). Only what cannot
be used is rejected (contract.py, "Invalid values"): a broken key, required value or row rule
rejects the row, with all its problems reported at once as errors; a row whose only problems
are invalid optional values is kept with those values blanked (NULL), one warning each.

Blanking happens here, so the bronze data tables hold only values the contract accepts (the
bronze suites in expectations/ check exactly that) and each identifier rule (the UPN check
letter, for one) lives in this module alone; the value as landed is not lost: the warning
keeps the whole raw row in load_errors.raw_record, and the file is in the archive. Other
values are kept as landed (trimmed, blank -> None): typing is silver's job.

Foreign keys (:func:`reject_orphans`): a row whose required foreign key matches no loaded
parent row is rejected; when the parent row exists but was itself rejected, the error names
that row and its rule (a cascade). An optional foreign key that does not resolve is blanked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stdnum.gb import upn as stdnum_upn

from orchestration import contract
from orchestration.ingest.csv_reader import RawCsv
from orchestration.problems import ERROR, WARNING, Problem, what
from orchestration.ingest.registry import raw_record_json

_DATE_PATTERNS = {
    "uk": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "dd/mm/yyyy"),
    "gias": (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), "dd-mm-yyyy"),
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FLAGS = frozenset(contract.TRUE_FLAGS + contract.FALSE_FLAGS)
BLANKED = "; loaded as blank, the row was kept"  # ends the message of a blanked value


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
    """A file's rows after the rules: accepted rows as an Arrow table, and every problem.

    ``accepted`` has one string column per matched field (cleaned: trimmed, blank -> None),
    every contract field (absent optional ones as nulls) and ``_row_number``, in row order.
    ``raw_rows(numbers)`` gives the raw fields of those rows again, for problems found later
    (orphaned foreign keys); it re-reads the file rather than keeping every raw row in memory.
    ``rejected`` holds the rejected rows whose fields could be read (same columns, values not
    blanked), ``cascaded`` those of them rejected because a parent row was, and ``softened``
    the error form of each warning about a blanked value, by row number (a row rejected later
    reports them as errors again).
    """

    rows_landed: int
    accepted: pa.Table
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header in the file
    raw_headers: list[str] = field(default_factory=list)
    raw_rows: Callable[[set[int]], dict[int, list[str]]] | None = None
    rejected: pa.Table | None = None
    cascaded: pa.Table | None = None
    softened: dict[int, list[Problem]] = field(default_factory=dict)

    @property
    def rows_accepted(self) -> int:
        return self.accepted.num_rows

    @property
    def rows_rejected(self) -> int:
        return self.rows_landed - self.rows_accepted

    def accepted_values(self, name: str) -> list[str | None]:
        return self.accepted.column(name).to_pylist()

    def every_row(self, columns: list[str]) -> pa.Table:
        """These columns of every row whose fields were read, accepted or rejected."""
        parts = [self.accepted.select(columns)]
        if self.rejected is not None:
            parts.append(self.rejected.select(columns))
        return pa.concat_tables(parts)

    def rejection_causes(self, column: str, values: set[str]) -> dict[str, Problem]:
        """For each value of ``column`` held by a rejected row, the first error of the first
        such row (its row number, rule and column name the cause of a cascade)."""
        if self.rejected is None or not values:
            return {}
        hits = self.rejected.filter(pc.is_in(self.rejected.column(column),
                                             value_set=pa.array(sorted(values), pa.string())))
        first_row: dict[str, int] = {}
        for value, number in zip(hits.column(column).to_pylist(),
                                 hits.column("_row_number").to_pylist()):
            first_row[value] = min(number, first_row.get(value, number))
        wanted = set(first_row.values())
        first_error = {}
        for p in self.problems:
            if p.severity == ERROR and p.row_number in wanted:
                first_error.setdefault(p.row_number, p)
        return {value: first_error[number] for value, number in first_row.items()
                if number in first_error}

    def reject(self, keep: pa.Array, cascaded: pa.Array | None = None) -> None:
        """Move the accepted rows where ``keep`` is false to ``rejected`` (``cascaded`` marks
        those rejected with their parent); their blanked-value warnings become errors."""
        dropped = self.accepted.filter(pc.invert(keep))
        self.rejected = _concat(self.rejected, dropped)
        if cascaded is not None:
            self.cascaded = _concat(self.cascaded, self.accepted.filter(cascaded))
        self.accepted = self.accepted.filter(keep)
        numbers = set(dropped.column("_row_number").to_pylist()) & self.softened.keys()
        if numbers:
            self.problems = [p for p in self.problems
                             if not (p.row_number in numbers and p.severity == WARNING
                                     and p.message.endswith(BLANKED))]
            self.problems.extend(p for n in sorted(numbers) for p in self.softened.pop(n))


def _concat(table: pa.Table | None, more: pa.Table) -> pa.Table:
    return more if table is None else pa.concat_tables([table, more])


# --- single values -------------------------------------------------------------------------
# Each rule is defined once. Format rules (numbers, URN, UKPRN, UPN) are DuckDB expressions over
# a column of distinct values (``COLUMN_RULES``); the others (dates, flags, codes, academic
# years) are Python functions of one value (``VALUE_RULES``). Either gives, for a broken value,
# (rule, what is wrong with it) worded from the rule catalogue (orchestration/problems.py);
# ``check_values`` applies a field's rule to many values at once.

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
        return "invalid_date", what("invalid_date", "not_real" if looks_like_date else "default",
                                    shown=shown)
    if f.not_future and ctx.reference_date and parsed > ctx.reference_date:
        return "future_date", what("future_date", label=ctx.reference_label,
                                   reference=f"{ctx.reference_date:%d/%m/%Y}")
    return None


@lru_cache(maxsize=None)
def _lower(codes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(code.lower() for code in codes)


def _check_academic_year(value: str, ctx: Context):
    try:
        start = contract.academic_year_start(value)
    except ValueError:
        return "invalid_academic_year", what("invalid_academic_year")
    if ctx.academic_year and start != contract.academic_year_start(ctx.academic_year):
        return "academic_year_mismatch", what("academic_year_mismatch", year=ctx.academic_year)
    return None


def _check_flag(value: str, f: contract.Field, source: contract.CsvSource, ctx: Context):
    return None if value.lower() in _FLAGS else ("invalid_flag", what("invalid_flag"))


def _check_code(value: str, f: contract.Field, source: contract.CsvSource, ctx: Context):
    if value.lower() in _lower(f.codes):
        return None
    return "unknown_code", what("unknown_code", codes=", ".join(f.codes))


# The Python rules, by field kind: (value, field, source, context) -> None when the value is
# fine, else (rule, what is wrong with it).
VALUE_RULES = {
    "date": _check_date,
    "flag": _check_flag,
    "code": _check_code,
    "academic_year": lambda value, f, source, ctx: _check_academic_year(value, ctx),
}


# What the warehouse stores (dbt.type_int(): 32-bit; dbt.type_numeric(): numeric(28, 6)): a
# larger value would turn into NULL at the cast, silently, so it is an error here instead.
MAX_INT = 2**31 - 1
MAX_DECIMAL_DIGITS = 22  # before the decimal point

# UPN: a check letter, a 3-digit LA number, 9 more characters (the last may be a letter); the
# check letter is the 12 characters' values (their place in this alphabet) weighted 2..13, mod
# 23 (DfE, "Unique pupil numbers", annex: as python-stdnum's stdnum.gb.upn computes it).
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"


@lru_cache(maxsize=1)
def upn_la_numbers() -> tuple[int, ...]:
    """The LA numbers python-stdnum's UPN rule knows, asked through its public functions (its
    list is private): each 3-digit number in an otherwise valid UPN."""
    def upn_with(la: int) -> str:
        body = f"{la:03d}000000001"
        return stdnum_upn.calc_check_digit(body) + body

    return tuple(la for la in range(1000) if stdnum_upn.is_valid(upn_with(la)))


def _upn_sql() -> str:
    u = "compact"  # stdnum's compact(): spaces removed, upper case (see check_values)
    weighted = " + ".join(f"{weight} * (strpos('{UPN_ALPHABET}', {u}[{weight}]) - 1)"
                          for weight in range(2, 14))
    la_numbers = ", ".join(str(n) for n in upn_la_numbers())
    return (f"CASE WHEN length({u}) <> 13 THEN 'invalid_upn:length'"
            f" WHEN NOT regexp_full_match({u}, '(?s).[0-9]{{11}}[{UPN_ALPHABET}]')"
            " THEN 'invalid_upn:default'"
            f" WHEN TRY_CAST({u}[2:4] AS INTEGER) NOT IN ({la_numbers})"
            " THEN 'invalid_upn:component'"
            f" WHEN {u}[1] <> '{UPN_ALPHABET}'[(({weighted}) % 23) + 1]"
            " THEN 'invalid_upn:checksum' END")


def _number_sql(f: contract.Field) -> str:
    if f.kind == "int":
        form = "WHEN NOT regexp_full_match(v, '[+-]?[0-9]+') THEN 'not_an_integer'"
        too_large = f"coalesce(abs(TRY_CAST(v AS HUGEINT)) > {MAX_INT}, true)"
    else:
        form = r"WHEN NOT regexp_full_match(v, '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)') THEN 'not_a_number'"
        too_large = (f"length(ltrim(split_part(ltrim(v, '+-'), '.', 1), '0'))"
                     f" > {MAX_DECIMAL_DIGITS}")
    below = ""
    if f.minimum is not None:
        rule = "negative_value" if f.minimum == 0 else "below_minimum"
        below = f" WHEN TRY_CAST(v AS DOUBLE) < {float(f.minimum)!r} THEN '{rule}'"
    return f"CASE {form} WHEN {too_large} THEN 'out_of_range'{below} END"


def _digits_sql(digits: int, rule: str) -> str:
    return f"CASE WHEN NOT regexp_full_match(v, '[0-9]{{{digits}}}') THEN '{rule}' END"


# The column rules, by field kind: field -> a DuckDB expression over ``v`` (and ``compact``: v
# without spaces, in upper case) that is NULL when the value is fine, else ``rule`` or
# ``rule:variant`` (the catalogue's wording).
COLUMN_RULES = {
    "int": _number_sql,
    "decimal": _number_sql,
    "urn": lambda f: _digits_sql(6, "invalid_urn"),
    "ukprn": lambda f: _digits_sql(8, "invalid_ukprn"),
    "upn": lambda f: _upn_sql(),
}


def _worded(verdict: str, f: contract.Field) -> tuple[str, str]:
    rule, _, variant = verdict.partition(":")
    return rule, what(rule, variant or "default", minimum=f.minimum)


def check_values(values, f: contract.Field, source: contract.CsvSource, ctx: Context,
                 con: duckdb.DuckDBPyConnection | None = None) -> dict[str, tuple[str, str]]:
    """The broken values among ``values`` (non-null text), each with (rule, what is wrong)."""
    if f.kind not in COLUMN_RULES:
        rule = VALUE_RULES.get(f.kind)
        if rule is None:  # text
            return {}
        if isinstance(values, pa.Array):
            values = values.to_pylist()
        return {value: broken for value in values if (broken := rule(value, f, source, ctx))}
    condition = COLUMN_RULES[f.kind](f)
    distinct = values if isinstance(values, pa.Array) else pc.unique(pa.array(values, pa.string()))
    candidates = pa.table({"v": distinct})  # noqa: F841 - DuckDB reads it by name
    values_sql = "candidates"
    if "compact" in condition:
        values_sql = "(SELECT v, upper(replace(v, ' ', '')) AS compact FROM candidates)"
    query = (f"SELECT v, verdict FROM (SELECT v, {condition} AS verdict FROM {values_sql})"
             " WHERE verdict IS NOT NULL")
    if con is None:
        with duckdb.connect() as own:
            found = own.sql(query).fetchall()
    else:
        found = con.sql(query).fetchall()
    return {value: _worded(verdict, f) for value, verdict in found}


def check_value(value: str, f: contract.Field, source: contract.CsvSource, ctx: Context):
    """One value: None when it is fine, else (rule, what is wrong with it)."""
    return check_values([value], f, source, ctx).get(value)


# --- rows --------------------------------------------------------------------------------

def cell_problem(ctx: Context, row: Row, column: str, value: str | None, rule: str,
                 what: str, personal: bool = False) -> Problem:
    """A problem with one cell; personal values are kept in ``value`` but never in the message."""
    shown = "the value" if personal or value is None else f"'{value}'"
    message = f"{ctx.source_file} row {row.row_number}, column {column}: {shown} {what}"
    return Problem(rule, message, row.row_number, column, value, ERROR, row.raw_record, personal)


def _row_problems(row: Row, source: contract.CsvSource, headers: dict[str, str],
                  ctx: Context, broken: dict[str, dict[str, tuple[str, str]]]
                  ) -> list[tuple[Problem, str | None]]:
    """Each problem of the row with the field it would blank (None: it rejects the row);
    ``broken``: each field's broken values, as _suspect_rows found them."""
    found = []
    for f in source.fields:
        value = row.values.get(f.name)
        if value is None:
            if f.required and not f.blank_allowed:
                found.append((cell_problem(ctx, row, headers[f.name], None, "required",
                                           what("required")), None))
            continue
        if problem_of_value := broken.get(f.name, {}).get(value):
            problem = cell_problem(ctx, row, headers[f.name], value, *problem_of_value,
                                   personal=f.personal)
            found.append((problem, f.name if f.blanks_invalid else None))
    if source.exactly_one_of:
        blanked = {name for _, name in found if name}
        found.extend((p, None) for p in _exactly_one_problem(row, source, ctx, blanked))
    return found


def _settle(found: list[tuple[Problem, str | None]]) -> tuple[list[Problem], list[str]]:
    """The row's problems as recorded, and the fields to blank: when every problem is an
    invalid optional value the row is kept and each becomes a warning; otherwise the row is
    rejected and every problem is an error."""
    if not found or any(name is None for _, name in found):
        return [p for p, _ in found], []
    return [blanked_warning(p) for p, _ in found], [name for _, name in found]


def blanked_warning(problem: Problem) -> Problem:
    """The warning for a value that was blanked rather than rejecting its row."""
    return dataclasses.replace(problem, severity=WARNING, message=problem.message + BLANKED)


def _exactly_one_problem(row: Row, source: contract.CsvSource, ctx: Context,
                         blanked: set[str] = frozenset()) -> list[Problem]:
    filled = [name for name in source.exactly_one_of
              if row.values.get(name) is not None and name not in blanked]
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
               ctx: Context, raw_rows: Callable | None = None) -> Checked:
    """Apply the field, row and duplicate-key rules to every data row of a file.

    Column by column (Arrow and DuckDB do the bulk work): each distinct value is checked once,
    and only rows holding a broken value, a blank required value, a duplicate key or a failed
    row rule are checked again one by one, by the same Python rules, to word their problems.
    Problems come out in row order.
    """
    headers = {f.name: raw.headers[columns[f.name]] if f.name in columns else f.name
               for f in source.fields}
    width = len(raw.headers)
    numbers, good, by_row = [], [], {}
    for number, fields in raw.records:
        if len(fields) == width:
            numbers.append(number)
            good.append(fields)
        else:
            raw_record = raw_record_json(raw.headers, fields)
            by_row[number] = [_wrong_field_count(ctx, number, fields, width, raw_record)]
    values = _clean_columns(good, columns, source)
    duplicates = _duplicate_keys(values, source.key, len(good))
    rejected, blanks, softened = set(), {}, {}
    suspects, broken = _suspect_rows(values, source, ctx)
    for i in sorted(suspects | duplicates.keys()):
        row = Row(numbers[i], {name: column[i].as_py() for name, column in values.items()},
                  good[i], raw.headers)
        found = _row_problems(row, source, headers, ctx, broken)
        if i in duplicates:
            key = tuple(row.values[name] for name in source.key)
            found.append((_duplicate_problem(ctx, row, key, numbers[duplicates[i]], source,
                                             headers), None))
        problems, blanked = _settle(found)
        if problems:
            by_row[row.row_number] = problems
        if blanked:
            softened[row.row_number] = [p for p, _ in found]
        for name in blanked:
            blanks.setdefault(name, []).append(i)
        if any(p.severity == ERROR for p in problems):
            rejected.add(i)
    del good
    table = pa.table({**_blank(values, blanks, len(numbers)),
                      "_row_number": pa.array(numbers, type=pa.int32())})
    problems = [p for number in sorted(by_row) for p in by_row[number]]
    checked = Checked(len(raw.records), table, problems, headers, list(raw.headers), raw_rows,
                      rejected=table.slice(0, 0), softened=softened)
    if rejected:
        keep = np.ones(len(numbers), dtype=bool)
        keep[list(rejected)] = False
        checked.accepted = table.filter(pa.array(keep))
        checked.rejected = table.filter(pa.array(~keep))
    return checked


def _blank(values: dict[str, pa.Array], blanks: dict[str, list[int]],
           rows: int) -> dict[str, pa.Array]:
    """The columns with the given rows of each field set to null."""
    blanked = dict(values)
    for name, indices in blanks.items():
        mask = np.zeros(rows, dtype=bool)
        mask[indices] = True
        blanked[name] = pc.if_else(pa.array(mask), _NULL, values[name])
    return blanked


# Exactly the characters str.strip() removes, so Arrow trims as the rules always have.
_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_NULL = pa.scalar(None, pa.string())


def _clean_columns(rows: list[list[str]], columns: dict[str, int],
                   source: contract.CsvSource) -> dict[str, pa.Array]:
    """Values by field name, trimmed, blank -> null; absent fields all null."""
    transposed = list(zip(*rows))
    values = {}
    for name, index in columns.items():
        column = pa.array(transposed[index] if rows else [], type=pa.string())
        trimmed = pc.utf8_trim(column, characters=_WHITESPACE)
        values[name] = pc.if_else(pc.equal(trimmed, ""), _NULL, trimmed)
    for f in source.fields:
        values.setdefault(f.name, pa.nulls(len(rows), pa.string()))
    return values


def _suspect_rows(values: dict[str, pa.Array], source: contract.CsvSource,
                  ctx: Context) -> tuple[set[int], dict[str, dict[str, tuple[str, str]]]]:
    """Rows that break a field or row rule (each is then worded in full), and each field's
    broken values with their (rule, what is wrong): every distinct value is checked once."""
    masks, broken = [], {}
    with duckdb.connect() as con:
        for f in source.fields:
            column = values[f.name]
            if f.required and not f.blank_allowed and column.null_count:
                masks.append(pc.is_null(column))
            if f.kind == "text":
                continue
            distinct = pc.unique(column.drop_null())
            broken[f.name] = check_values(distinct, f, source, ctx, con) if len(distinct) else {}
            if broken[f.name]:
                masks.append(pc.is_in(column, value_set=pa.array(list(broken[f.name]),
                                                                  pa.string())))
    if source.exactly_one_of:
        filled = [pc.cast(pc.is_valid(values[name]), pa.int8()) for name in source.exactly_one_of]
        masks.append(pc.not_equal(functools.reduce(pc.add, filled), 1))
    if not masks:
        return set(), broken
    return set(pc.indices_nonzero(functools.reduce(pc.or_, masks)).to_pylist()), broken


def _duplicate_keys(values: dict[str, pa.Array], key: tuple[str, ...],
                    rows: int) -> dict[int, int]:
    """Row index -> index of the first row with the same (complete) key, for later rows."""
    if not key:
        return {}
    indexed = pa.table({**{name: values[name] for name in key},
                        "_i": pa.array(np.arange(rows, dtype=np.int64))})
    complete = indexed.filter(functools.reduce(
        pc.and_, [pc.is_valid(values[name]) for name in key]))
    groups = complete.group_by(list(key)).aggregate([("_i", "min"), ("_i", "count")])
    repeated = groups.filter(pc.greater(groups["_i_count"], 1))
    if not repeated.num_rows:
        return {}
    joined = complete.join(repeated.select(list(key) + ["_i_min"]), keys=list(key))
    later = joined.filter(pc.not_equal(joined["_i"], joined["_i_min"]))
    return dict(zip(later["_i"].to_pylist(), later["_i_min"].to_pylist()))


def reject_orphans(checked: Checked, source: contract.CsvSource, fk: contract.ForeignKey,
                   parent: Checked, ctx: Context) -> None:
    """Accepted rows whose foreign key is not among the parent file's loaded keys.

    A required foreign key rejects the row: naming the parent row when that row was rejected
    (a cascade, kept in ``checked.cascaded``), else as a plain orphan. An optional foreign key
    is blanked instead (warning), and the row kept."""
    column = checked.accepted.column(fk.column)
    parent_keys = parent.accepted.column(fk.ref_column).unique()
    orphan = pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=parent_keys)))
    if not pc.any(orphan).as_py():
        return
    orphans = checked.accepted.filter(orphan)
    numbers = orphans.column("_row_number").to_pylist()
    values = orphans.column(fk.column).to_pylist()
    causes = parent.rejection_causes(fk.ref_column, set(values))
    raw = checked.raw_rows(set(numbers)) if checked.raw_rows else {}
    personal = source.field(fk.column).personal
    for number, value in zip(numbers, values):
        row = Row(number, {}, raw.get(number, []), checked.raw_headers)
        problem = _orphan_problem(ctx, row, checked.headers[fk.column], value, fk,
                                  causes.get(value), personal)
        if fk.optional:
            checked.softened.setdefault(number, []).append(problem)
            problem = blanked_warning(problem)
        checked.problems.append(problem)
    if fk.optional:
        index = checked.accepted.schema.get_field_index(fk.column)
        checked.accepted = checked.accepted.set_column(
            index, fk.column, pc.if_else(orphan, _NULL, column))
        return
    cascaded = pc.and_(orphan, pc.is_in(column, value_set=pa.array(list(causes), pa.string())))
    checked.reject(pc.invert(orphan), cascaded)


def _orphan_problem(ctx: Context, row: Row, column: str, value: str,
                    fk: contract.ForeignKey, cause: Problem | None, personal: bool) -> Problem:
    """A foreign key matching no loaded row; ``cause``: the error that rejected the row it
    matches (named by file, row, rule and column: never its values)."""
    if cause is None:
        what = (f"does not match any {fk.ref_column} loaded from {fk.ref_file}"
                " in the same extract")
    else:
        parent = fk.ref_file.removesuffix(".csv")
        what = (f"refers to a row that was not loaded: {parent} row {cause.row_number} of"
                f" {fk.ref_file} was rejected (rule {cause.rule} on {cause.column})")
        if not fk.optional:
            what += ", so this row was rejected with it"
    return cell_problem(ctx, row, column, value, "orphan_foreign_key", what, personal)
