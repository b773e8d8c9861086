"""SRP places (gold.srp_places): commissioned places against pupils on roll, published once per
academic year with one consistent set of hidden cells for every page and chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from orchestration.report.data import Table
from orchestration.report.disclosure import Cell, format_row, suppress_linked

ALL = "All"
ID_COLUMNS = ("level", "level_key", "phase", "designation")
PEOPLE_COLUMNS = (
    "pupils_on_roll",
    "pupils_on_roll_returned",
    "assessment_places_returned",
    "over_subscription",
)
PLAIN_COLUMNS = ("srp_count", "commissioned_places")
DERIVED_COLUMNS = {"occupancy_pct": "pupils_on_roll", "vacancies": "pupils_on_roll"}
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

RowKey = tuple[str, str, str, str]  # level, level_key, phase, designation


def row_key(row: dict) -> RowKey:
    return (row["level"], str(row["level_key"]), row["phase"], row["designation"])


@dataclass
class PublishedYear:
    """One academic year of srp_places: raw rows by key and their publishable cells."""

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


def _school_totals(rows: list[dict]) -> list[dict]:
    """A total row per school over its designations (the school page shows it)."""
    totals: dict[str, dict] = {}
    for row in rows:
        if row["level"] != "school":
            continue
        total = totals.setdefault(
            row["urn"],
            {
                "level": SCHOOL_TOTAL,
                "level_key": row["urn"],
                "phase": ALL,
                "designation": ALL,
                "academic_year": row["academic_year"],
                "area": row["area"],
                "district": row["district"],
                "urn": row["urn"],
                "school_name": row["school_name"],
            },
        )
        for col in PLAIN_COLUMNS + PEOPLE_COLUMNS + ("vacancies",):
            if col in row:
                a, b = total.get(col), row.get(col)
                total[col] = b if a is None else (a if b is None else a + b)
    for total in totals.values():
        places, pupils = total.get("commissioned_places"), total.get("pupils_on_roll")
        total["occupancy_pct"] = round(100.0 * pupils / places, 1) if places else None
    return list(totals.values())


def _linked_groups(rows: dict[RowKey, dict]) -> list[tuple[list[RowKey], RowKey]]:
    """Every way the rows add up: SRPs to their school and district, districts to their area
    and the county, designations to their phase, phases to the whole."""
    by_parent: dict[tuple, list[RowKey]] = defaultdict(list)
    for k, row in rows.items():
        level, key, phase, designation = k
        if level == "school":
            by_parent[(SCHOOL_TOTAL, key)].append(k)
            by_parent[("srps in district", row["district"])].append(k)
        elif level == SCHOOL_TOTAL:
            by_parent[("schools in district", row["district"])].append(k)
        elif level == "district" and designation == ALL:
            by_parent[("districts", "county", phase)].append(k)
            by_parent[("districts", row["area"], phase)].append(k)
        if level in ("county", "area", "district"):
            if phase != ALL and designation == ALL:
                by_parent[("phases", level, key)].append(k)
            if designation != ALL:
                by_parent[("designations", level, key, phase)].append(k)
    groups = []
    for k, row in rows.items():
        level, key, phase, designation = k
        if level == SCHOOL_TOTAL:
            groups.append((by_parent[(SCHOOL_TOTAL, key)], k))
        if level not in ("county", "area", "district") or designation != ALL:
            continue
        groups.append((by_parent[("designations", level, key, phase)], k))
        if phase == ALL:
            groups.append((by_parent[("phases", level, key)], k))
        if level == "district" and phase == ALL:
            groups.append((by_parent[("srps in district", key)], k))
            groups.append((by_parent[("schools in district", key)], k))
        if level in ("county", "area"):
            groups.append(
                (by_parent[("districts", "county" if level == "county" else key, phase)], k)
            )
    return [(parts, total) for parts, total in groups if parts]


def publish_year(table: Table, year: str) -> PublishedYear:
    rows = [r for r in table.rows if r["academic_year"] == year]
    rows = rows + _school_totals(rows)
    by_key = {row_key(r): r for r in rows}
    groups = _linked_groups(by_key)
    hidden: dict[RowKey, set[str]] = {k: set() for k in by_key}
    for col in PEOPLE_COLUMNS:
        if col not in table.columns:
            continue
        values = {k: r.get(col) for k, r in by_key.items()}
        for k in suppress_linked(values, groups):
            hidden[k].add(col)
    cells = {
        k: format_row(
            r,
            hidden[k],
            count_cols=PEOPLE_COLUMNS,
            rate_cols=DERIVED_COLUMNS,
            plain_cols=PLAIN_COLUMNS,
            decimals={"occupancy_pct": 1, "vacancies": 0},
            units={"occupancy_pct": "%"},
        )
        for k, r in by_key.items()
    }
    return PublishedYear(year, by_key, cells)


def hidden_pupil_counts(pub: PublishedYear) -> set[tuple[str, str, str]]:
    """(level, level_key, designation) whose pupils on roll (all phases) this year are hidden:
    other tables publishing the same count hide it too."""
    out = set()
    for (level, key, phase, designation), cells in pub.cells.items():
        if phase == ALL and cells["pupils_on_roll"].is_suppressed:
            out.add(("school" if level == SCHOOL_TOTAL else level, key, designation))
    return out
