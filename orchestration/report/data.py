"""Reads what the report needs from the warehouse, read-only, into plain Python structures.

Each gold table the report uses is optional: a table that is not built yet comes back as None
and its sections say "not yet available". Nothing here formats or suppresses figures
(disclosure.py does that on the way out)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.contract import academic_year_start, census_day

GOLD_SCHEMA = "gold"

# Every gold table a report section reads (dbt_project/models/gold/).
REPORT_GOLD_TABLES = (
    "srp_places",
    "phase_transfer_pathways",
    "srp_travel",
    "srp_finance",
    "srp_kpis",
    "srp_returns_reconciliation",
    "srp_demand_forecast",
    "ehcp_caseload_profile",
    "ehcp_placement_by_age",
    "ehcp_timeliness",
)


@dataclass(frozen=True)
class Table:
    """A table as column names and rows of plain Python values (int, float, str, date, bool)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]

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


@dataclass
class ReportData:
    gold: dict[str, Table | None]
    load_errors: list[LoadErrorCount] = field(default_factory=list)
    check_history: Table | None = None
    warehouse_name: str = ""
    extract_date: dt.date | None = None  # the latest Synergy extract loaded
    cascades: CascadeCounts | None = None

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


def read_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> Table:
    cur = con.execute(f'select * from "{schema}"."{name}"')
    columns = tuple(d[0] for d in cur.description)
    rows = tuple({c: _plain(v) for c, v in zip(columns, row)} for row in cur.fetchall())
    return Table(name, columns, rows)


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


def load_report_data(warehouse_path: Path) -> ReportData:
    """Every report table present in the warehouse (absent ones as None)."""
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        present = _relations(con)
        gold = {
            name: read_relation(con, GOLD_SCHEMA, name) if (GOLD_SCHEMA, name) in present else None
            for name in REPORT_GOLD_TABLES
        }
        errors = _load_error_counts(con) if ("bronze", "load_errors") in present else []
        history = (
            read_relation(con, "quality", "check_history")
            if ("quality", "check_history") in present
            else None
        )
        extract = _latest_extract(con) if ("bronze", "synergy_extracts") in present else None
        cascades = _cascade_counts(con) if extract else None
    finally:
        con.close()
    return ReportData(gold, errors, history, Path(warehouse_path).name, extract, cascades)


def report_year(years: set[str], today: dt.date) -> str | None:
    """The academic year the report is about: the latest whose census day has passed, else the
    earliest year there is."""
    labelled = sorted(years, key=academic_year_start)
    if not labelled:
        return None
    past = [y for y in labelled if census_day(academic_year_start(y)) <= today]
    return past[-1] if past else labelled[0]
