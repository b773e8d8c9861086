"""Time the disclosure audit on a synthetic release shaped like external.srp_places.

    .venv/bin/python benchmarks/bench_disclosure_audit.py [--scale 1] [--scale 25] [--seed 42]

The release: school -> district -> area -> county (-> England when there is more than one county)
x phase (Primary, Secondary, All) x designation (seven and All) x year (six), with columns
pupils_on_roll (a count), places (not about people, always shown) and vacancies = places -
pupils. Each county is Kent-shaped (4 areas, 3 districts each, 8 SRP schools each); scale n has n
counties. Counts of 1-4 are hidden, vacancies with their base, and a simple secondary suppression
hides the smallest other cell of any relation left with one hidden cell, until none is. Prints
one line per scale with `disclosure_audit_s` and the audit's figures. Targets (issue 13): at most
30 s at scale 1 and 300 s at scale 25. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict

from orchestration.disclosure.audit import Cell, LinearRelation, Relation, Release, audit

PHASES = ("Primary", "Secondary")
DESIGNATIONS = ("ASD", "SLCN", "SEMH", "MLD", "HI", "VI", "PD")
YEARS = tuple(f"{2020 + i}/{21 + i}" for i in range(6))
AREAS_PER_COUNTY, DISTRICTS_PER_AREA, SCHOOLS_PER_DISTRICT = 4, 3, 8
TARGETS_S = {1: 30, 25: 300}


def cell_id(level: str, key: str, year: str, phase: str, designation: str, column: str) -> str:
    return (f"srp_places|level={level}|key={key}|year={year}|phase={phase}"
            f"|designation={designation}|column={column}")


def geography(scale: int) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str]]]:
    """(level, key, parent key) for every unit, and the schools as (key, phase)."""
    units: list[tuple[str, str, str | None]] = []
    schools: list[tuple[str, str]] = []
    top = "England" if scale > 1 else None
    if top:
        units.append(("country", top, None))
    for c in range(scale):
        county = f"county{c}"
        units.append(("county", county, top))
        for a in range(AREAS_PER_COUNTY):
            area = f"{county}.area{a}"
            units.append(("area", area, county))
            for d in range(DISTRICTS_PER_AREA):
                district = f"{area}.district{d}"
                units.append(("district", district, area))
                for s in range(SCHOOLS_PER_DISTRICT):
                    school = f"{district}.school{s}"
                    units.append(("school", school, district))
                    schools.append((school, PHASES[s % 2]))
    return units, schools


def synthetic_srp_places(scale: int, seed: int = 42) -> Release:
    rng = random.Random(seed)
    units, schools = geography(scale)
    level_of = {key: level for level, key, _ in units}
    parent_of = {key: parent for _, key, parent in units}
    pupils: dict[tuple[str, str, str, str], int] = defaultdict(int)  # (unit, year, phase, designation)
    places: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for school, phase in schools:
        designations = rng.sample(DESIGNATIONS, rng.choice((1, 1, 2)))
        for year in YEARS:
            for designation in designations:
                on_roll = rng.choice((0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15))
                commissioned = max(0, on_roll + rng.randint(-2, 4))
                key: str | None = school
                while key is not None:
                    for p in (phase, "All"):
                        for d in (designation, "All"):
                            pupils[key, year, p, d] += on_roll
                            places[key, year, p, d] += commissioned
                    key = parent_of[key]
    cells, relations = _cells(pupils, places, level_of), _relations(pupils, level_of, parent_of)
    hidden = _suppress(pupils, relations, level_of)
    cells = [Cell(c.id, c.value, c.id in hidden, lower=c.lower) for c in cells]
    return Release.of(cells, relations)


def _pid(row: tuple[str, str, str, str], level_of: dict[str, str], column: str) -> str:
    unit, year, phase, designation = row
    return cell_id(level_of[unit], unit, year, phase, designation, column)


def _cells(pupils, places, level_of) -> list[Cell]:
    cells = []
    for row, on_roll in pupils.items():
        cells.append(Cell(_pid(row, level_of, "pupils_on_roll"), on_roll, False))
        cells.append(Cell(_pid(row, level_of, "places"), places[row], False))
        cells.append(Cell(_pid(row, level_of, "vacancies"), places[row] - on_roll, False, lower=float("-inf")))
    return cells


def _relations(pupils, level_of, parent_of) -> list[Relation | LinearRelation]:
    """Roll-ups and 'All' rows for every column, and vacancies = places - pupils per row."""
    children: dict[tuple[str, str, str, str], list] = defaultdict(list)
    phase_parts: dict[tuple[str, str, str], list] = defaultdict(list)
    designation_parts: dict[tuple[str, str, str], list] = defaultdict(list)
    for row in pupils:
        unit, year, phase, designation = row
        if parent_of[unit] is not None:
            children[parent_of[unit], year, phase, designation].append(row)
        if phase != "All":
            phase_parts[unit, year, designation].append(row)
        if designation != "All":
            designation_parts[unit, year, phase].append(row)
    groups = list(children.items())
    groups += [((unit, year, "All", designation), rows) for (unit, year, designation), rows in phase_parts.items()]
    groups += [((unit, year, phase, "All"), rows) for (unit, year, phase), rows in designation_parts.items()]
    relations: list[Relation | LinearRelation] = []
    for column in ("pupils_on_roll", "places", "vacancies"):
        for total, parts in groups:
            relations.append(Relation(_pid(total, level_of, column), tuple(_pid(p, level_of, column) for p in parts)))
    for row in pupils:
        relations.append(LinearRelation.of({_pid(row, level_of, "vacancies"): 1, _pid(row, level_of, "places"): -1,
                                            _pid(row, level_of, "pupils_on_roll"): 1}))
    return relations


def _suppress(pupils, relations, level_of) -> set[str]:
    """Primary: pupils 1-4. Secondary (a simple stand-in for the real engine): while a pupils
    relation has exactly one hidden cell, hide its smallest shown non-zero member. Vacancies are
    hidden with their pupils."""
    value = {_pid(row, level_of, "pupils_on_roll"): v for row, v in pupils.items()}
    hidden = {cell for cell, v in value.items() if 1 <= v <= 4}
    additive = [(r.total_id,) + r.part_ids for r in relations
                if isinstance(r, Relation) and r.total_id.endswith("pupils_on_roll")]
    changed = True
    while changed:
        changed = False
        for members in additive:
            if sum(m in hidden for m in members) != 1:
                continue
            shown = [m for m in members if m not in hidden and value[m] > 0]
            if shown:
                hidden.add(min(shown, key=lambda m: (value[m], m)))
                changed = True
    return hidden | {cell.replace("column=pupils_on_roll", "column=vacancies") for cell in hidden}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="repeatable; default 1")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for scale in args.scale or [1]:
        started = time.perf_counter()
        release = synthetic_srp_places(scale, args.seed)
        built = time.perf_counter() - started
        started = time.perf_counter()
        result = audit(release)
        seconds = time.perf_counter() - started
        figures = result.metadata()
        target = TARGETS_S.get(scale)
        print(f"scale={scale} disclosure_audit_s={seconds:.2f}"
              + (f" (target <= {target})" if target else "")
              + f" release_build_s={built:.2f} cells={figures['cells']} cells_hidden={figures['cells_hidden']}"
              f" relations_checked={figures['relations_checked']} components={figures['components']}"
              f" lps_solved={figures['lps_solved']} unprotected_cells={figures['unprotected_cells']}"
              f" narrowest_interval_width={figures['narrowest_interval_width']}")


if __name__ == "__main__":
    main()
