"""Reads what the report needs from the warehouse, read-only, into plain Python structures.

The public report reads the audited release (schema ``external``: each gold table the report
uses, with a ``<column>_flag`` after every figure the disclosure engine may hide, and
``external.release_audit``); the internal report reads ``gold`` itself, given the same flag
columns with only 'x' (not available) and 'z' (not applicable) in them, so both go through
the same code. Each table is optional: one that is not built yet comes back as None and its
sections say "not yet available". Every table carries the declared disclosure role of its
columns (orchestration/disclosure/declarations.py). Nothing here formats or hides figures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.contract import academic_year_start, census_day
from orchestration.disclosure.declarations import (
    FLAGGED_ROLES,
    RATE,
    SHAREABLE_TABLES,
    ColumnRole,
    Declarations,
    load_declarations,
)
from orchestration.report.council import ReportCouncil, load_report_council
from orchestration.report.disclosure import FLAG_SUFFIX, NOT_APPLICABLE, NOT_AVAILABLE
from orchestration.report.kpi_thresholds import KpiThreshold, load_kpi_thresholds
from orchestration.sen2.coverage import COVERAGE_RELATION, SourceCoverage, load_source_coverage

GOLD_SCHEMA = "gold"
RELEASE_SCHEMA = "external"  # the audited release (orchestration/disclosure/)
AUDIT_TABLE = "release_audit"
PUBLIC = "public"  # from the release, for anyone
INTERNAL = "internal"  # from gold, unsuppressed, OFFICIAL-SENSITIVE
AUDIENCES = (PUBLIC, INTERNAL)
# Every gold table a report section reads: the shareable tables of the release.
REPORT_GOLD_TABLES = SHAREABLE_TABLES


@dataclass(frozen=True)
class Table:
    """A table as column names and rows of plain Python values (int, float, str, date, bool)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]
    # the declared disclosure role of each column that has one (gold model yml)
    roles: Mapping[str, ColumnRole] = field(default_factory=dict, compare=False)

    def role(self, column: str) -> ColumnRole | None:
        return self.roles.get(column)

    def has(self, *columns: str) -> bool:
        return all(c in self.columns for c in columns)

    def missing(self, columns: tuple[str, ...]) -> list[str]:
        return [c for c in columns if c not in self.columns]

    def where(self, **equals) -> list[dict]:
        return [r for r in self.rows if all(r.get(k) == v for k, v in equals.items())]

    def grouped(self, *columns: str) -> dict[tuple, list[dict]]:
        """Rows by their values of ``columns`` (as text: 123 and '123' group together), in
        table order; built once per table and columns, since every page asks again."""
        cache = self.__dict__.setdefault("_grouped", {})  # frozen: no setattr, same object
        if columns not in cache:
            groups: dict[tuple, list[dict]] = {}
            for row in self.rows:
                key = tuple(None if row.get(c) is None else str(row.get(c)) for c in columns)
                groups.setdefault(key, []).append(row)
            cache[columns] = groups
        return cache[columns]


@dataclass(frozen=True)
class LoadErrorCount:
    source: str
    rule: str
    severity: str
    errors: int


@dataclass(frozen=True)
class CascadeCounts:
    """The latest loaded Synergy extract's cascades: rows rejected because a row they depend
    on was rejected, by file, and the children those rows belong to (bronze.synergy_extracts)."""

    extract_date: dt.date
    children: int
    rows_by_file: dict[str, int]


@dataclass(frozen=True)
class ReleaseAudit:
    """The latest audit of the release (external.release_audit): what the LP audit proved."""

    cells_published: int | None
    cells_hidden: int | None
    relations_checked: int | None
    narrowest_interval: str | None
    narrowest_cell: str | None
    passed: bool | None
    audited_at: dt.datetime | None


@dataclass
class ReportData:
    gold: dict[str, Table | None]  # the report's tables, from `schema`
    load_errors: list[LoadErrorCount] = field(default_factory=list)
    check_history: Table | None = None
    warehouse_name: str = ""
    extract_date: dt.date | None = None  # the latest Synergy extract loaded
    cascades: CascadeCounts | None = None
    audience: str = PUBLIC
    schema: str = RELEASE_SCHEMA  # where the figures come from: external (public) or gold
    audit: ReleaseAudit | None = None  # None: no release has been audited in this warehouse
    kpi_thresholds: tuple[KpiThreshold, ...] = ()  # the RAG thresholds gold.srp_kpis used
    council: ReportCouncil = field(default_factory=ReportCouncil.configured)  # whose report
    coverage: SourceCoverage | None = None  # what the SEN2 returns loaded answer (sen2/coverage.py)

    def as_of(self, today: dt.date) -> dt.date:
        """The date the figures can speak for: today, or the latest extract if earlier."""
        return min(today, self.extract_date) if self.extract_date else today

    def table(self, name: str) -> Table | None:
        return self.gold.get(name)


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {
        (s, t)
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def read_relation(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    roles: Mapping[str, ColumnRole] | None = None,
) -> Table:
    cur = con.execute(f'select * from "{schema}"."{name}"')
    columns = tuple(d[0] for d in cur.description)
    rows = tuple({c: _plain(v) for c, v in zip(columns, row)} for row in cur.fetchall())
    return Table(name, columns, rows, roles or {})


def _missing_flag(row: dict, column: str, role: ColumnRole) -> str | None:
    """'x' for a missing figure, 'z' for a rate over a denominator of 0; None when shown."""
    if row.get(column) is not None:
        return None
    if role.role == RATE and row.get(role.denominator or "") == 0:
        return NOT_APPLICABLE
    return NOT_AVAILABLE


def gold_as_release(table: Table) -> Table:
    """A gold table in the shape of the release with nothing hidden (the internal report):
    a ``<column>_flag`` after each flagged figure, holding only 'x' and 'z'."""
    flagged = {c: table.roles[c] for c in table.columns
               if c in table.roles and table.roles[c].role in FLAGGED_ROLES}
    columns = tuple(name for c in table.columns
                    for name in ((c, c + FLAG_SUFFIX) if c in flagged else (c,)))

    def with_flags(row: dict) -> dict:
        flags = {c + FLAG_SUFFIX: _missing_flag(row, c, role) for c, role in flagged.items()}
        return {name: flags[name] if name in flags else row.get(name) for name in columns}

    return Table(table.name, columns, tuple(with_flags(r) for r in table.rows), table.roles)


def _release_audit(con: duckdb.DuckDBPyConnection) -> ReleaseAudit | None:
    cur = con.execute(
        f'select * from "{RELEASE_SCHEMA}"."{AUDIT_TABLE}" order by audited_at desc limit 1'
    )
    found = cur.fetchall()
    if not found:
        return None
    row = dict(zip((d[0] for d in cur.description), found[0]))
    return ReleaseAudit(
        *(row.get(name) for name in (
            "cells_published", "cells_hidden", "relations_checked", "narrowest_interval",
            "narrowest_cell", "passed", "audited_at",
        ))
    )


def _load_error_counts(con: duckdb.DuckDBPyConnection) -> list[LoadErrorCount]:
    rows = con.execute(
        """
        select coalesce(source, '?'), coalesce(rule, '?'), coalesce(severity, 'error'), count(*)
        from bronze.load_errors group by all order by 4 desc, 1, 2
        """
    ).fetchall()
    return [LoadErrorCount(*row) for row in rows]


def _cascade_counts(con: duckdb.DuckDBPyConnection) -> CascadeCounts | None:
    cur = con.execute(
        "select * from bronze.synergy_extracts where status = 'loaded'"
        " order by extract_date desc limit 1"
    )
    found = cur.fetchall()
    if not found:
        return None
    row = dict(zip((d[0] for d in cur.description), found[0]))
    files = json.loads(row.get("file_counts") or "{}")
    return CascadeCounts(
        row["extract_date"],
        row.get("persons_cascaded") or 0,
        {name: counts.get("cascaded", 0) for name, counts in files.items()},
    )


def _latest_extract(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    row = con.execute(
        "select max(extract_date) from bronze.synergy_extracts where status = 'loaded'"
    ).fetchone()
    return row[0] if row else None


def _roles(declarations: Declarations, table: str) -> Mapping[str, ColumnRole]:
    declared = declarations.tables.get(table)
    return declared.roles if declared else {}


def load_report_data(
    warehouse_path: Path, audience: str = PUBLIC, declarations: Declarations | None = None
) -> ReportData:
    """Every report table present in the warehouse (absent ones as None): the release's for
    the public report, gold's (with only 'x' / 'z' flags) for the internal one."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    declarations = declarations or load_declarations()
    schema = RELEASE_SCHEMA if audience == PUBLIC else GOLD_SCHEMA
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        present = _relations(con)
        tables = {
            name: read_relation(con, schema, name, _roles(declarations, name))
            if (schema, name) in present else None
            for name in REPORT_GOLD_TABLES
        }
        gold = tables if audience == PUBLIC else {
            name: gold_as_release(table) if table else None for name, table in tables.items()
        }
        audit = _release_audit(con) if (RELEASE_SCHEMA, AUDIT_TABLE) in present else None
        errors = _load_error_counts(con) if ("bronze", "load_errors") in present else []
        history = (
            read_relation(con, "quality", "check_history")
            if ("quality", "check_history") in present
            else None
        )
        extract = _latest_extract(con) if ("bronze", "synergy_extracts") in present else None
        cascades = _cascade_counts(con) if extract else None
        thresholds = load_kpi_thresholds(con)
        council = load_report_council(con, present)
        coverage = load_source_coverage(con) if COVERAGE_RELATION in present else None
    finally:
        con.close()
    return ReportData(gold, errors, history, Path(warehouse_path).name, extract, cascades,
                      audience, schema, audit, thresholds, council, coverage)


def report_year(years: set[str], today: dt.date) -> str | None:
    """The academic year the report is about: the latest whose census day has passed, else the
    earliest year there is."""
    labelled = sorted(years, key=academic_year_start)
    if not labelled:
        return None
    past = [y for y in labelled if census_day(academic_year_start(y)) <= today]
    return past[-1] if past else labelled[0]
