"""SRP places (srp_places of the release, or of gold for the internal report): commissioned
places against pupils on roll, one academic year at a time, with the same cells on every page
and chart. Each row's figures are shown as the release flags them; a school's total over its
SRPs is computed here, so it is hidden wherever one of its parts is (disclosure.computed_cell)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.report.data import Table
from orchestration.report.disclosure import (
    NOT_AVAILABLE,
    Cell,
    computed_cell,
    percent_cell,
    ratio_percent,
    total_of,
)
from orchestration.report.figures import row_cells

ALL = "All"
ID_COLUMNS = ("level", "level_key", "phase", "designation")
REQUIRED_COLUMNS = ID_COLUMNS + (
    "academic_year",
    "area",
    "district",
    "urn",
    "school_name",
    "commissioned_places",
    "pupils_on_roll",
)
SCHOOL_TOTAL = "school-total"
# Figures a school's total adds up over its SRPs; its occupancy follows from two of them.
SCHOOL_SUMS = (
    "srp_count",
    "commissioned_places",
    "pupils_on_roll",
    "pupils_on_roll_returned",
    "assessment_places_returned",
    "vacancies",
    "over_subscription",
)
RETURNED = "pupils_on_roll_returned"

RowKey = tuple[str, str, str, str]  # level, level_key, phase, designation


def row_key(row: dict) -> RowKey:
    return (row["level"], str(row["level_key"]), row["phase"], row["designation"])


@dataclass
class PublishedYear:
    """One academic year of srp_places: rows by key (their labels) and their cells."""

    year: str
    rows: dict[RowKey, dict]
    cells: dict[RowKey, dict[str, Cell]]

    def get(self, level: str, key: str, phase: str = ALL, designation: str = ALL) -> dict | None:
        row_id = (
            (SCHOOL_TOTAL, key, ALL, ALL)
            if level == "school" and phase == ALL and designation == ALL
            else (level, key, phase, designation)
        )
        return self.cells.get(row_id)

    def raw(self, row_id: RowKey) -> dict:
        return self.rows[row_id]

    def select(self, level: str, **equals) -> list[RowKey]:
        return [
            k
            for k, r in self.rows.items()
            if k[0] == level and all(r.get(c) == v for c, v in equals.items())
        ]

    def has_return(self, row_id: RowKey) -> bool:
        """Whether the school (or SRP) has a current valid return: its returned count is shown
        or hidden, not missing."""
        cell = self.cells[row_id].get(RETURNED)
        return cell is not None and cell.text != NOT_AVAILABLE


def _school_totals(rows: list[dict], cells: dict[RowKey, dict[str, Cell]]) -> dict:
    """A total row per school over its SRPs (the school page shows it): labels, and cells
    computed from the SRPs' cells."""
    members: dict[str, list[RowKey]] = {}
    labels: dict[str, dict] = {}
    for row in rows:
        if row["level"] == "school":
            members.setdefault(row["urn"], []).append(row_key(row))
            labels.setdefault(row["urn"], {
                "level": SCHOOL_TOTAL, "level_key": row["urn"], "phase": ALL, "designation": ALL,
                **{c: row.get(c) for c in ("academic_year", "area", "district", "urn",
                                           "school_name")},
            })
    totals = {}
    for urn, keys in members.items():
        parts = [cells[k] for k in keys]
        total = {
            col: computed_cell([p[col] for p in parts], total_of)
            for col in SCHOOL_SUMS if col in parts[0]
        }
        total["occupancy_pct"] = computed_cell(
            [total["pupils_on_roll"], total["commissioned_places"]], ratio_percent, percent_cell
        )
        totals[row_key(labels[urn])] = (labels[urn], total)
    return totals


def publish_year(table: Table, year: str) -> PublishedYear:
    rows = [r for r in table.rows if r["academic_year"] == year]
    by_key = {row_key(r): r for r in rows}
    cells = {k: row_cells(table, r) for k, r in by_key.items()}
    for k, (labels, total) in _school_totals(rows, cells).items():
        by_key[k] = labels
        cells[k] = total
    return PublishedYear(year, by_key, cells)
