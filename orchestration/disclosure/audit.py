"""Disclosure audit: can a reader work out a hidden cell from the figures shown around it?

A release is a set of cells (each shown or hidden, with its true value) and the linear relations
between them that a reader knows: a total equals the sum of its parts (school -> district -> area
-> county, 'All' rows against their phase and designation parts), or any linear equality such as
vacancies = places - pupils. The audit does not depend on where the cells come from: the report,
the `external` schema and its Parquet are all turned into cells and relations by the caller.

For every hidden cell the audit computes its feasible interval [min, max]: the smallest and
largest value it can take when every shown cell is fixed at its value, every relation holds and
every hidden cell stays within its bounds (counts: 0 and up). That is two linear programmes per
hidden cell, solved with HiGHS through `scipy.optimize.linprog`, but only within the cell's
connected component (hidden cells linked by relations once shown cells are fixed), so each LP is
small. A cheap exact subtraction check (a relation with exactly one hidden cell reveals it) runs
first; the LP must agree with it.

A hidden cell is protected (default rule, see `Protection`) when a reader cannot conclude it is a
count of 1-4: its interval includes 0 or reaches at least 5. An exactly determined hidden cell
(min == max) is never protected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

# Two LP bounds closer than this are the same number (HiGHS' default feasibility tolerance is 1e-7).
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Cell:
    """One published figure. `id` names it readably so a failure says which cell leaks, e.g.
    `srp_places|level=district|key=Dover|year=2024/25|designation=ASD|column=pupils_on_roll`.
    `lower`/`upper` are what a reader knows of any such cell (counts: 0 and up, no upper)."""

    id: str
    value: float
    hidden: bool
    lower: float = 0.0
    upper: float | None = None


@dataclass(frozen=True)
class Relation:
    """value(total) = sum(value(part) for part in parts)."""

    total_id: str
    part_ids: tuple[str, ...]

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        return ((self.total_id, 1.0),) + tuple((part, -1.0) for part in self.part_ids)

    @property
    def name(self) -> str:
        return f"{self.total_id} = sum of {len(self.part_ids)} parts"


@dataclass(frozen=True)
class LinearRelation:
    """sum(coefficient * value(cell)) = 0, e.g. vacancies - places + pupils = 0."""

    coefficients: tuple[tuple[str, float], ...]
    label: str = ""

    @classmethod
    def of(cls, coefficients: Mapping[str, float], label: str = "") -> LinearRelation:
        return cls(tuple((cell_id, float(coef)) for cell_id, coef in coefficients.items()), label)

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        return self.coefficients

    @property
    def name(self) -> str:
        return self.label or " + ".join(f"{coef:g}*{cell_id}" for cell_id, coef in self.terms) + " = 0"


@dataclass(frozen=True)
class Release:
    cells: tuple[Cell, ...]
    relations: tuple[Relation | LinearRelation, ...]

    @classmethod
    def of(cls, cells: Iterable[Cell], relations: Iterable[Relation | LinearRelation]) -> Release:
        return cls(tuple(cells), tuple(relations))


@dataclass(frozen=True)
class Protection:
    """When is a hidden cell's feasible interval wide enough? Default: it includes `zero` (a
    reader cannot rule out 0) or reaches `min_upper` (a reader cannot conclude 1-4)."""

    min_upper: float = 5.0
    zero: float = 0.0

    def protects(self, interval: Interval) -> bool:
        if interval.is_exact:
            return False
        return interval.lower <= self.zero + TOLERANCE or interval.upper >= self.min_upper - TOLERANCE

    def describe(self) -> str:
        return f"interval includes {self.zero:g} or reaches at least {self.min_upper:g}, and is not a single value"


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float  # math.inf when nothing bounds the cell from above

    @property
    def width(self) -> float:
        return self.upper - self.lower

    @property
    def is_exact(self) -> bool:
        return self.width <= TOLERANCE

    def __str__(self) -> str:
        return f"[{_fmt(self.lower)}, {_fmt(self.upper)}]"


@dataclass(frozen=True)
class Finding:
    """An unprotected hidden cell: its id and the interval a reader can narrow it to."""

    cell_id: str
    interval: Interval
    by_subtraction: bool  # a single relation reveals it

    def __str__(self) -> str:
        how = "recoverable by subtraction" if self.by_subtraction else "narrowed by the relations together"
        return f"{self.cell_id}: feasible interval {self.interval} ({how})"


@dataclass(frozen=True)
class AuditResult:
    protection: Protection
    intervals: dict[str, Interval]  # every hidden cell's feasible interval
    unprotected: tuple[Finding, ...]
    cells: int
    cells_hidden: int
    relations_checked: int
    components: int  # connected components of hidden cells (components without one are dropped)
    lps_solved: int
    narrowest: tuple[str, Interval] | None = field(default=None)

    @property
    def passed(self) -> bool:
        return not self.unprotected

    def metadata(self) -> dict[str, object]:
        """The figures the data-quality appendix and the asset check show."""
        narrowest_cell, narrowest = self.narrowest or (None, None)
        return {
            "cells": self.cells,
            "cells_hidden": self.cells_hidden,
            "relations_checked": self.relations_checked,
            "components": self.components,
            "lps_solved": self.lps_solved,
            "unprotected_cells": len(self.unprotected),
            "narrowest_interval_width": None if narrowest is None else narrowest.width,
            "narrowest_interval_cell": narrowest_cell,
            "protection_rule": self.protection.describe(),
        }

    def summary(self) -> str:
        lines = [f"{len(self.unprotected)} of {self.cells_hidden} hidden cells unprotected "
                 f"({self.protection.describe()})"]
        lines += [f"  {finding}" for finding in self.unprotected]
        return "\n".join(lines)


class ReleaseError(ValueError):
    """The release itself is wrong (unknown cell, relation not satisfied by the true values)."""


def audit(release: Release, protection: Protection = Protection()) -> AuditResult:
    system = _HiddenSystem.build(release)
    revealed = system.revealed_by_subtraction()
    intervals: dict[int, Interval] = {}
    lps = 0
    labels, n_components = system.components()
    for component in _members(labels, n_components):
        component_intervals, solved = system.solve_component(component)
        intervals.update(component_intervals)
        lps += solved
    intervals.update(system.unrelated_intervals())
    for index, value in revealed.items():
        if not intervals[index].is_exact or abs(intervals[index].lower - value) > TOLERANCE:
            raise AssertionError(f"LP interval {intervals[index]} of {system.ids[index]} disagrees with "
                                 f"subtraction ({_fmt(value)})")
    named = {system.ids[i]: interval for i, interval in sorted(intervals.items())}
    findings = tuple(Finding(system.ids[i], intervals[i], i in revealed)
                     for i in sorted(intervals) if not protection.protects(intervals[i]))
    narrowest = min(named.items(), key=lambda item: (item[1].width, item[0]), default=None)
    return AuditResult(protection, named, findings, cells=len(release.cells),
                       cells_hidden=len(system.ids), relations_checked=len(release.relations),
                       components=n_components, lps_solved=lps, narrowest=narrowest)


@dataclass
class _HiddenSystem:
    """The relations with shown cells substituted: A x = b over hidden cells only."""

    ids: list[str]
    lower: np.ndarray
    upper: np.ndarray
    true_values: np.ndarray
    matrix: sparse.csr_array  # one row per relation that has a hidden cell
    rhs: np.ndarray

    @classmethod
    def build(cls, release: Release) -> _HiddenSystem:
        by_id = _index_cells(release.cells)
        hidden = [cell for cell in release.cells if cell.hidden]
        column = {cell.id: i for i, cell in enumerate(hidden)}
        rows, cols, coefs, rhs = [], [], [], []
        for relation in release.relations:
            _check_holds(relation, by_id)
            constant, hidden_terms = 0.0, {}
            for cell_id, coef in relation.terms:
                cell = by_id[cell_id]
                if cell.hidden:
                    hidden_terms[column[cell_id]] = hidden_terms.get(column[cell_id], 0.0) + coef
                else:
                    constant += coef * cell.value
            hidden_terms = {col: coef for col, coef in hidden_terms.items() if coef != 0.0}
            if not hidden_terms:
                continue
            for col, coef in hidden_terms.items():
                rows.append(len(rhs))
                cols.append(col)
                coefs.append(coef)
            rhs.append(-constant)
        matrix = sparse.csr_array((coefs, (rows, cols)), shape=(len(rhs), len(hidden)))
        return cls(ids=[cell.id for cell in hidden],
                   lower=np.array([cell.lower for cell in hidden], dtype=float),
                   upper=np.array([math.inf if cell.upper is None else cell.upper for cell in hidden]),
                   true_values=np.array([cell.value for cell in hidden], dtype=float),
                   matrix=matrix, rhs=np.array(rhs, dtype=float))

    def revealed_by_subtraction(self) -> dict[int, float]:
        """Hidden cells alone in a relation: value = rhs / coefficient, no LP needed."""
        counts = np.diff(self.matrix.indptr)
        revealed = {}
        for row in np.flatnonzero(counts == 1):
            start = self.matrix.indptr[row]
            revealed[int(self.matrix.indices[start])] = float(self.rhs[row] / self.matrix.data[start])
        return revealed

    def components(self) -> tuple[np.ndarray, int]:
        """Label hidden cells by connected component (linked when they share a relation). Cells in
        no relation get the label -1 and are not counted."""
        incidence = (self.matrix != 0).astype(np.int8)
        n_cells = len(self.ids)
        adjacency = sparse.block_array([[None, incidence], [incidence.T, None]], format="csr")
        if adjacency.shape[0] == 0:
            return np.full(n_cells, -1), 0
        _, labels = connected_components(adjacency, directed=False)
        cell_labels = labels[len(self.rhs):]
        in_relation = np.diff(incidence.T.tocsr().indptr) > 0
        used = np.unique(cell_labels[in_relation])
        renumber = {label: i for i, label in enumerate(used)}
        return np.array([renumber[l] if r else -1 for l, r in zip(cell_labels, in_relation)]), len(used)

    def unrelated_intervals(self) -> dict[int, Interval]:
        """Hidden cells in no relation: nothing narrows them beyond their own bounds."""
        in_relation = np.diff(self.matrix.tocsc().indptr) > 0
        return {int(i): Interval(self.lower[i], self.upper[i]) for i in np.flatnonzero(~in_relation)}

    def solve_component(self, cells: np.ndarray) -> tuple[dict[int, Interval], int]:
        """min and max of each cell of one component. Every LP solution is a feasible point: a cell
        seen at its own bound there needs no LP for that side (the bound is its optimum)."""
        rows = np.unique(self.matrix[:, cells].nonzero()[0])
        a_eq = self.matrix[rows][:, cells]
        b_eq = self.rhs[rows]
        lower, upper = self.lower[cells], self.upper[cells]
        bounds = list(zip(lower, [None if math.isinf(u) else u for u in upper]))
        mins = np.full(len(cells), np.nan)
        maxs = np.full(len(cells), np.nan)
        lps = 0

        def note(point: np.ndarray) -> None:
            at_lower = np.isnan(mins) & (point <= lower + TOLERANCE)
            mins[at_lower] = lower[at_lower]
            at_upper = np.isnan(maxs) & (point >= upper - TOLERANCE)
            maxs[at_upper] = upper[at_upper]

        note(self.true_values[cells])
        for i in range(len(cells)):
            for sense, found in ((1.0, mins), (-1.0, maxs)):
                if not np.isnan(found[i]):
                    continue
                objective = np.zeros(len(cells))
                objective[i] = sense
                result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                lps += 1
                if result.status == 3:  # unbounded: only possible upwards with no upper bound
                    found[i] = math.inf
                    continue
                if result.status != 0:
                    raise AssertionError(f"LP for {self.ids[cells[i]]} failed: {result.message}")
                found[i] = result.x[i]
                note(result.x)
        return {int(cell): Interval(float(mins[i]), float(maxs[i])) for i, cell in enumerate(cells)}, lps


def _index_cells(cells: Sequence[Cell]) -> dict[str, Cell]:
    by_id: dict[str, Cell] = {}
    for cell in cells:
        if cell.id in by_id:
            raise ReleaseError(f"cell {cell.id} appears twice in the release")
        by_id[cell.id] = cell
    return by_id


def _check_holds(relation: Relation | LinearRelation, by_id: Mapping[str, Cell]) -> None:
    """Every relation must hold for the true values, or the LP has no meaning (and may be
    infeasible). The message names the relation only: the values stay out of it."""
    missing = [cell_id for cell_id, _ in relation.terms if cell_id not in by_id]
    if missing:
        raise ReleaseError(f"relation {relation.name} names cells not in the release: {missing[:3]}")
    residual = sum(coef * by_id[cell_id].value for cell_id, coef in relation.terms)
    if abs(residual) > TOLERANCE * max(1.0, *(abs(by_id[c].value) for c, _ in relation.terms)):
        raise ReleaseError(f"relation {relation.name} does not hold for the release's own values")


def _members(labels: np.ndarray, n_components: int) -> Iterable[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, np.arange(n_components))
    ends = np.searchsorted(sorted_labels, np.arange(n_components), side="right")
    for start, end in zip(starts, ends):
        yield order[start:end]


def _fmt(number: float) -> str:
    if math.isinf(number):
        return "inf"
    return f"{number:g}" if abs(number - round(number)) > TOLERANCE else str(int(round(number)))
