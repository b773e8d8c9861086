"""What the SEN2 returns loaded can answer (issue 16 item 5; docs/SEN2.md, "History from several
returns"), read from ``silver.silver_source_coverage``, and the sentences the report shows in
Methods and in the sections a single return leaves partial.

Plain functions: ``load_source_coverage`` reads the one row; ``methods_note`` and
``section_note`` word it (None when there is nothing to say: Synergy, or several consecutive
returns for the section)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COVERAGE_RELATION = ("silver", "silver_source_coverage")
# The report sections (orchestration/report/sections.py ids) a single return leaves partial,
# and what is missing from each.
PARTIAL_SECTIONS = {
    "pathways": "phase transfer pairs consecutive census days, so it needs two returns",
    "timeliness": "20-week timeliness is complete only for the calendar year before the "
                  "return's census",
    "forecast": "the forecast has no earlier census year to start from",
}


@dataclass(frozen=True)
class SourceCoverage:
    source_system: str
    sen2_returns_loaded: int | None = None
    first_collection_year: int | None = None
    last_collection_year: int | None = None
    first_census_date: dt.date | None = None
    last_census_date: dt.date | None = None
    census_years_missing: int | None = None
    is_single_sen2_return: bool = False

    @property
    def first_academic_year(self) -> str | None:
        """The academic year of the first return's census (collection year 2025 -> 2024/25)."""
        if self.first_collection_year is None:
            return None
        return f"{self.first_collection_year - 1}/{self.first_collection_year % 100:02d}"


def load_source_coverage(con) -> SourceCoverage | None:
    """The row of silver.silver_source_coverage (None when the model is not built)."""
    schema, name = COVERAGE_RELATION
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()[0]
    if not found:
        return None
    cursor = con.execute(f"select * from {schema}.{name}")
    columns = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(columns, row))
    return SourceCoverage(**{k: values.get(k) for k in SourceCoverage.__dataclass_fields__})


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def methods_note(coverage: SourceCoverage | None) -> str | None:
    """Methods: where case records come from when they are SEN2 returns, and what they cover."""
    if coverage is None or coverage.source_system != "sen2" or not coverage.sen2_returns_loaded:
        return None
    first, last = coverage.first_census_date, coverage.last_census_date
    if coverage.is_single_sen2_return:
        return (
            f"Case records come from a single SEN2 return (census day {_day(last)}). It shows "
            f"who held a plan on that census day ({coverage.first_academic_year}) and the "
            f"requests and plans of the calendar year {coverage.last_collection_year - 1}. "
            "History before that census is partial and not shown: phase transfer pairs "
            "consecutive census days and needs a second return, and the 20-week timeliness of "
            "earlier calendar years counts only the requests the return still carries.")
    note = (
        f"Case records come from {coverage.sen2_returns_loaded} annual SEN2 returns (census days "
        f"{_day(first)} to {_day(last)}), combined into one history: each record as the latest "
        f"return holding it gives it. Census years from {coverage.first_academic_year} are "
        "shown; earlier years are not covered by a return.")
    if coverage.census_years_missing:
        note += (f" {coverage.census_years_missing} census year(s) between them have no return: "
                 "figures for those years are partial.")
    return note


def section_note(coverage: SourceCoverage | None, section: str) -> str | None:
    """The note for a section (PARTIAL_SECTIONS key) that a single SEN2 return leaves partial."""
    if coverage is None or not coverage.is_single_sen2_return or section not in PARTIAL_SECTIONS:
        return None
    return f"Only one SEN2 return is loaded: {PARTIAL_SECTIONS[section]} (see Methods)."
