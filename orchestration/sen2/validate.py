"""The structural rules of the SEN2 specification, over a return's records (either format).

Rules: the header names a collection year spec.py describes; mandatory items are filled; coded
items hold a code of that year's list; dates are real and within the collection (not after
its reference date, event dates not before EHC plans began, dates of birth within the ages the
return covers); the UPN check letter (the platform's one rule, ingest/validate.py); URN, UKPRN
and ranks by the same rules as the Synergy extract; one-of groups (an identifier for each
person, one establishment per placement); one person record per UPN or ULN; every child record
has its parent; and items the year does not have (kept, warned).

Each problem is a :class:`Problem` naming the file, the module, the record's position (and its
person's) and the item; ``row_number`` is the record's row (Blade CSV row, XML line). Personal
items (spec.Item.personal: names, date of birth, postcode, UPN, ULN) never put their value in
the message or in ``value``, and are marked ``personal=True``.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import defaultdict
from functools import lru_cache
from itertools import repeat

import duckdb

from orchestration import contract
from orchestration.ingest import validate as ingest_validate
from orchestration.problems import ERROR, WARNING, Problem, what
from orchestration.sen2 import spec
from orchestration.sen2.records import Record, Sen2Return

# The contract kinds whose rules ingest/validate.py already has (by DuckDB, over distinct
# values): a SEN2 item of these kinds is checked as a contract field of that kind.
_CONTRACT_FIELDS = {
    "upn": contract.Field("upn", "upn", personal=True),
    "urn": contract.Field("urn", "urn"),
    "ukprn": contract.Field("ukprn", "ukprn"),
    "rank": contract.Field("rank", "int", minimum=1),
}
_REFERENCE_LABEL = "collection reference date"


def validate(result: Sen2Return, con: duckdb.DuckDBPyConnection | None = None
             ) -> list[Problem]:
    """Every structural problem of the return, in module order then record order. ``con``:
    a DuckDB connection for the column rules (when not given, an in-memory one of this thread's)."""
    problems = list(result.problems)
    header = result.header
    year = result.year
    if year is None:
        value = header.values.get("year")
        problems.append(_problem(header, "year", value, "unsupported_year",
                                 what("unsupported_year", years=", ".join(map(str, spec.YEARS)))))
        return problems
    reference = spec.parse_date(header.values.get("referencedate") or "")
    if con is None:
        return validate(result, _checks_connection())
    for module in spec.MODULE:
        records = result.records[module]
        problems += _item_problems(records, module, year, reference, con)
        problems += _one_of_problems(records, module)
        problems += _orphans(records, module)
    problems += duplicate_people(result.records["person"])
    if reference is not None and str(reference.year) != header.values.get("year", "").strip():
        problems.append(_problem(header, "referencedate", header.values["referencedate"],
                                 "out_of_range", what("out_of_range", "in_year", year=year)))
    return problems


_THREAD = threading.local()


def _checks_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection of this thread's, opened once (~40 ms each time
    otherwise: a streamed return is validated a batch at a time). It only ever reads the
    Arrow tables of values it is handed."""
    if getattr(_THREAD, "pid", None) != os.getpid():  # never a connection from before a fork
        _THREAD.con, _THREAD.pid = duckdb.connect(), os.getpid()
    return _THREAD.con


def _item_problems(records: list[Record], module: str, year: int,
                   reference: dt.date | None, con) -> list[Problem]:
    """Each item checked as a column: every distinct value once, then only the records
    holding a missing, broken or unexpected item are looked at one by one."""
    if not records:
        return []
    items = _items_by_name(module, year)
    broken: dict[str, dict[str, tuple[str, str]]] = {}
    flagged: set[int] = set()
    values = [r.values for r in records]
    for name, item in items.items():
        column = _column(values, name)
        trimmed = {raw: _filled(raw) for raw in set(column)}
        filled = {value for value in trimmed.values() if value is not None}
        verdicts = broken[name] = _check(item, filled, year, reference, con) if filled else {}
        bad = {raw for raw, value in trimmed.items()
               if (value is None and item.mandatory) or (value is not None and value in verdicts)}
        if bad:
            flagged.update(i for i, raw in enumerate(column) if raw in bad)
    known = items.keys()
    if not set().union(*values) <= known:  # some record has an item the year does not have
        flagged.update(i for i, v in enumerate(values) if not v.keys() <= known)
    found = []
    for index in sorted(flagged):
        found += _record_problems(records[index], module, year, items, broken)
    return found


def _record_problems(record: Record, module: str, year: int, items: dict[str, spec.Item],
                     broken: dict[str, dict[str, tuple[str, str]]]) -> list[Problem]:
    found = []
    for name, item in items.items():
        value = _filled(record.values.get(name))
        if value is None:
            if item.mandatory:
                found.append(_problem(record, name, None, "required", what("required"),
                                      item.personal))
        elif verdict := broken.get(name, {}).get(value):
            found.append(_problem(record, name, value, *verdict, personal=item.personal))
    for name in [n for n in record.values if n not in items]:
        if _filled(record.values[name]) is not None:
            other = spec.known_anywhere(module, name)
            personal = other.personal if other else True  # unknown: assume personal
            found.append(_problem(record, name, record.values[name], "unexpected_item",
                                  what("unexpected_item", year=year), personal, WARNING))
    return found


def _column(values: list[dict], name: str) -> list[str | None]:
    """One item of every record (``dict.get`` mapped in C: this runs for every item of a
    return)."""
    return list(map(dict.get, values, repeat(name)))


@lru_cache(maxsize=None)
def _items_by_name(module: str, year: int) -> dict[str, spec.Item]:
    return {i.name: i for i in spec.items(module, year)}


def _filled(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _check(item: spec.Item, values: set[str], year: int, reference: dt.date | None,
           con) -> dict[str, tuple[str, str]]:
    if item.kind in _CONTRACT_FIELDS:
        return ingest_validate.check_values(
            sorted(values), _CONTRACT_FIELDS[item.kind], contract.SYNERGY_PERSON,
            ingest_validate.Context("sen2"), con)
    check = {"code": _check_code, "date": _check_date, "la": _check_la}.get(item.kind)
    if check is None:
        return {}
    return {v: verdict for v in values if (verdict := check(v, item, year, reference))}


def _check_code(value: str, item: spec.Item, year: int, reference):
    if value.lower() in _lower_codes(item, year):
        return None
    return "unknown_code", what("unknown_code", codes=", ".join(spec.codes(item, year)))


@lru_cache(maxsize=None)
def _lower_codes(item: spec.Item, year: int) -> frozenset[str]:
    return frozenset(c.lower() for c in spec.codes(item, year))


def _check_la(value: str, item: spec.Item, year: int, reference):
    if len(value) == 3 and value.isdigit():
        return None
    return "invalid_la_code", what("invalid_la_code")


def date_window(item: spec.Item, reference: dt.date) -> tuple[dt.date, dt.date]:
    """The earliest and latest date an item may hold in a collection with this reference
    date (spec.py: EHCP_START, MAX_AGE_YEARS)."""
    if item.name in spec.BIRTH_DATE_ITEMS:
        earliest = _years_before(reference, spec.MAX_AGE_YEARS)
    else:
        earliest = spec.EHCP_START
    return earliest, reference


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _check_date(value: str, item: spec.Item, year: int, reference: dt.date | None):
    parsed = spec.parse_date(value)
    if parsed is None:
        return "invalid_date", what("invalid_date", shown=spec.DATE_SHOWN)
    if reference is None or item.name == "referencedate":
        return None
    earliest, latest = date_window(item, reference)
    if parsed > latest:
        return "future_date", what("future_date", label=_REFERENCE_LABEL,
                                   reference=f"{reference:%d/%m/%Y}")
    if parsed < earliest:
        return "out_of_range", what("out_of_range", "before", earliest=f"{earliest:%d/%m/%Y}")
    return None


def _orphans(records: list[Record], module: str) -> list[Problem]:
    """Child records whose parent record is not in the return (a Blade row whose parent id
    matches no row of the parent module's file)."""
    parent = spec.MODULE[module].parent
    if parent is None:
        return []
    return [_problem(r, spec.MODULE[parent].id_column, None, "missing_parent",
                     what("missing_parent")) for r in records if r.parent is None]


def _one_of_problems(records: list[Record], module: str) -> list[Problem]:
    found = []
    for group_module, names, kind in spec.ONE_OF:
        if group_module != module:
            continue
        if not _any_breaks_one_of(records, names, kind):
            continue
        for record in records:
            filled = [n for n in names if _filled(record.values.get(n)) is not None]
            if (kind == spec.AT_LEAST_ONE and not filled) or \
                    (kind == spec.EXACTLY_ONE and len(filled) != 1):
                found.append(_problem(record, ", ".join(names), None, "one_of_items",
                                      what("one_of_items", kind, items=", ".join(names),
                                           found=", ".join(filled) or "none")))
    return found


def _any_breaks_one_of(records: list[Record], names: tuple[str, ...], kind: str) -> bool:
    """Whether any record breaks the group (each distinct combination of filled items
    checked once)."""
    values = [r.values for r in records]
    flags = []
    for name in names:
        column = _column(values, name)
        filled = {raw: _filled(raw) is not None for raw in set(column)}
        flags.append(map(filled.__getitem__, column))
    for combination in set(zip(*flags)):
        filled = sum(combination)
        if (kind == spec.AT_LEAST_ONE and not filled) or \
                (kind == spec.EXACTLY_ONE and filled != 1):
            return True
    return False


def duplicate_people(people: list[Record]) -> list[Problem]:
    """One person record per identifier: a later record with the same UPN or ULN as an
    earlier one is an error naming the earlier record's position (never the identifier)."""
    found = []
    for name in spec.PERSON_IDENTIFIERS:
        if not _any_repeated(people, name):
            continue
        first: dict[str, int] = {}
        for record in people:
            value = _filled(record.values.get(name))
            if value is None:
                continue
            key = value.replace(" ", "").upper()
            if key in first:
                found.append(_problem(record, name, value, "duplicate_person",
                                      what("duplicate_person", item=name, position=first[key]),
                                      personal=True))
            else:
                first[key] = record.position
    return found


def _any_repeated(people: list[Record], name: str) -> bool:
    column = _column([r.values for r in people], name)
    keys = {raw: value.replace(" ", "").upper()
            for raw in set(column) if (value := _filled(raw)) is not None}
    given = [keys[raw] for raw in column if raw in keys]
    return len(set(given)) != len(given)


def _problem(record: Record, item: str, value: str | None, rule: str, wording: str,
             personal: bool = False, severity: str = ERROR) -> Problem:
    shown = "the value" if personal or value is None else f"'{value}'"
    if value is None and rule in ("required", "one_of_items", "missing_parent"):
        shown = ""
    prefix = f"{record.source} " if record.source else ""
    message = f"{prefix}{record.where}, item {item}: {shown} {wording}".replace(":  ", ": ")
    return Problem(rule, message, record.row, item, None if personal else value, severity,
                   None, personal, sheet=record.module, cell=str(record.position))


def problems_by_rule(problems: list[Problem]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in problems:
        counts[p.rule] += 1
    return dict(counts)
