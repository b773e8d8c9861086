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
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import contract
from orchestration.ingest import validate as ingest_validate
from orchestration.problems import ERROR, WARNING, Problem, what
from orchestration.sen2 import spec
from orchestration.sen2.records import META_COLUMNS, PARENT, PERSON, Record, Sen2Return

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
        bad, broken[name] = _bad_values(item, pa.array(list(set(column)), pa.string()), year,
                                        reference, con)
        if bad:
            flagged.update(i for i, raw in enumerate(column) if raw in bad)
    known = items.keys()
    if not set().union(*values) <= known:  # some record has an item the year does not have
        flagged.update(i for i, v in enumerate(values) if not v.keys() <= known)
    found = []
    for index in sorted(flagged):
        found += _record_problems(records[index], module, year, items, broken)
    return found


def _bad_values(item: spec.Item, raws: pa.Array, year: int, reference: dt.date | None,
                con) -> tuple[set[str | None], dict[str, tuple[str, str]]]:
    """Of an item's distinct raw values (null: not given), those a record is wrong to hold
    (blank when mandatory, or broken; the set may hold more values than are given), and each
    broken trimmed value's (rule, wording). Only values ``_filled`` changes (empty, or with
    whitespace at an end) are trimmed one by one; the others are their own filled value."""
    given = pc.drop_null(raws)
    odd = pc.or_(pc.equal(pc.utf8_length(given), 0),
                 pc.match_substring_regex(given, _edge_space_pattern()))
    trimmed = {raw: _filled(raw) for raw in pc.filter(given, odd).to_pylist()}
    filled = pa.concat_arrays([pc.filter(given, pc.invert(odd)).cast(pa.string()),
                               pa.array({v for v in trimmed.values() if v is not None},
                                        pa.string())])
    verdicts = _check(item, pc.unique(filled), year, reference, con) if len(filled) else {}
    bad = set(verdicts) | {raw for raw, value in trimmed.items()
                           if (value is None and item.mandatory) or value in verdicts}
    if item.mandatory and raws.null_count:
        bad.add(None)
    return bad, verdicts


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


def _check(item: spec.Item, values: pa.Array, year: int, reference: dt.date | None,
           con) -> dict[str, tuple[str, str]]:
    """Each broken value among distinct filled values, with (rule, wording)."""
    if item.kind in _CONTRACT_FIELDS:
        return ingest_validate.check_values(
            values, _CONTRACT_FIELDS[item.kind], contract.SYNERGY_PERSON,
            ingest_validate.Context("sen2"), con)
    check = _VALUE_CHECKS.get(item.kind)
    if check is None:
        return {}
    return {v: verdict for v in values.to_pylist()
            if (verdict := check(v, item, year, reference))}


def _has_value_rule(item: spec.Item) -> bool:
    """Whether ``_check`` can find a filled value of the item wrong (else only a blank can be)."""
    return item.kind in _CONTRACT_FIELDS or item.kind in _VALUE_CHECKS


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


_VALUE_CHECKS = {"code": _check_code, "date": _check_date, "la": _check_la}


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
            if _breaks_one_of_group(kind, len(filled)):
                found.append(_problem(record, ", ".join(names), None, "one_of_items",
                                      what("one_of_items", kind, items=", ".join(names),
                                           found=", ".join(filled) or "none")))
    return found


def suspect_persons(tables: dict[str, pa.Table], year: int, reference: dt.date | None,
                    con: duckdb.DuckDBPyConnection | None = None) -> set[int]:
    """The persons of a batch read as columns (records.META_COLUMNS and an item column each)
    that ``validate`` could find a problem on: each holds a record with a missing, broken or
    unexpected item, a broken one-of group or no parent, by the same rules as the records'
    checks (``_bad_values``, ``_filled``). ``validate`` of every other person of the batch
    finds nothing, so only these need reading as records. The header is not looked at."""
    con = con or _checks_connection()
    suspects: set[int] = set()
    for module, batch in tables.items():
        if module == "header" or not batch.num_rows:
            continue
        items = _items_by_name(module, year)
        masks = [_held(batch, name, _bad_values(item, _distinct(batch, name), year,
                                                 reference, con)[0])
                 if _has_value_rule(item) else _blank(batch, name)
                 for name, item in items.items() if item.mandatory or _has_value_rule(item)]
        masks += [pc.is_valid(batch[name]) for name in batch.column_names
                  if name not in items and name not in META_COLUMNS]
        masks += [_breaks_one_of(batch, names, kind)
                  for group_module, names, kind in spec.ONE_OF if group_module == module]
        if spec.MODULE[module].parent is not None:
            masks.append(pc.is_null(batch[PARENT]))
        if masks:
            suspect = masks[0]
            for mask in masks[1:]:
                suspect = pc.or_(suspect, mask)
            suspects.update(pc.filter(batch[PERSON], suspect).to_pylist())
    return suspects


# What str.strip() takes off: every character of str.isspace() (a test checks the list against
# all of Unicode; working it out here took ~0.4 s of every process that validates).
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
          "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


@lru_cache(maxsize=None)
def _spaces() -> str:
    """``SPACES`` as the inside of a character class of Arrow's regular expressions."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in SPACES)


def _blank_pattern() -> str:
    """A value ``_filled`` finds blank."""
    return f"^[{_spaces()}]*$"


def _edge_space_pattern() -> str:
    """A value ``_filled`` changes, unless it is empty."""
    return f"^[{_spaces()}]|[{_spaces()}]$"


def _blank(batch: pa.Table, name: str) -> pa.ChunkedArray:
    """Whether each row's item is blank (not given, or only whitespace)."""
    if name not in batch.column_names:
        return pa.chunked_array([pa.repeat(True, batch.num_rows)], pa.bool_())
    column = batch[name]
    blank = pc.match_substring_regex(column, _blank_pattern())
    return pc.or_(pc.is_null(column), pc.fill_null(blank, True))


def _distinct(batch: pa.Table, name: str) -> pa.Array:
    if name not in batch.column_names:
        return pa.nulls(1, pa.string())
    return pc.unique(batch[name])


def _held(batch: pa.Table, name: str, raws: set[str | None]) -> pa.ChunkedArray:
    """Whether each row holds one of these raw values (None: the item not given)."""
    if name not in batch.column_names:
        return pa.chunked_array([pa.repeat(None in raws, batch.num_rows)], pa.bool_())
    given = [r for r in raws if r is not None]
    held = pc.is_in(batch[name], value_set=pa.array(given, pa.string()))
    held = pc.fill_null(held, False)
    return pc.or_(held, pc.is_null(batch[name])) if None in raws else held


def _breaks_one_of(batch: pa.Table, names: tuple[str, ...], kind: str) -> pa.ChunkedArray:
    filled = pa.chunked_array([pa.repeat(0, batch.num_rows)], pa.int64())
    for name in names:
        filled = pc.add(filled, pc.cast(pc.invert(_blank(batch, name)), pa.int64()))
    broken = [n for n in pc.unique(filled).to_pylist() if _breaks_one_of_group(kind, n)]
    return pc.is_in(filled, value_set=pa.array(broken, pa.int64()))


def _breaks_one_of_group(kind: str, filled: int) -> bool:
    """Whether a record with this many of a one-of group's items filled breaks it."""
    return (kind == spec.AT_LEAST_ONE and not filled) or (kind == spec.EXACTLY_ONE and filled != 1)


def _any_breaks_one_of(records: list[Record], names: tuple[str, ...], kind: str) -> bool:
    """Whether any record breaks the group (each distinct combination of filled items
    checked once)."""
    values = [r.values for r in records]
    flags = []
    for name in names:
        column = _column(values, name)
        filled = {raw: _filled(raw) is not None for raw in set(column)}
        flags.append(map(filled.__getitem__, column))
    return any(_breaks_one_of_group(kind, sum(combination)) for combination in set(zip(*flags)))


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
            key = _person_key(value)
            if key in first:
                found.append(_problem(record, name, value, "duplicate_person",
                                      what("duplicate_person", item=name, position=first[key]),
                                      personal=True))
            else:
                first[key] = record.position
    return found


def _any_repeated(people: list[Record], name: str) -> bool:
    return any_repeated(pa.array(_column([r.values for r in people], name), pa.string()))


def any_repeated(raws: pa.Array | pa.ChunkedArray) -> bool:
    """Whether an identifier's raw values give some person's identifier twice (compared as
    ``duplicate_people`` compares them: ``_person_key`` of the filled value). ASCII values
    (every real UPN and ULN) are compared in Arrow by the same steps, others one by one."""
    raws = pc.drop_null(raws)
    ascii_only = pc.string_is_ascii(raws)
    keys = pc.ascii_upper(pc.replace_substring(
        pc.utf8_trim(pc.filter(raws, ascii_only), _ASCII_SPACES), " ", ""))
    others = [_person_key(value) for raw in pc.filter(raws, pc.invert(ascii_only)).to_pylist()
              if (value := _filled(raw)) is not None]
    keys = pa.concat_arrays([keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys,
                             pa.array(others, pa.string())])
    keys = pc.filter(keys, pc.greater(pc.utf8_length(keys), 0))  # blank: no identifier
    return pc.count_distinct(keys).as_py() != len(keys)


_ASCII_SPACES = "".join(c for c in SPACES if c.isascii())


def _person_key(identifier: str) -> str:
    """An identifier as persons are told apart by it: spaces and letter case ignored."""
    return identifier.replace(" ", "").upper()


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
