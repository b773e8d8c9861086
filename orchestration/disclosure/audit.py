"""Disclosure audit: can a reader work out a hidden cell from the figures shown around it?

A release is a set of cells (each shown or hidden, with its true value) and the linear relations
between them that a reader knows: a total equals the sum of its parts (school -> district -> area
-> county, 'All' rows against their phase and designation parts), or any linear equality such as
vacancies = places - pupils. The audit does not depend on where the cells come from: the report,
the `external` schema and its Parquet are all turned into cells and relations by the caller.

For every hidden cell the audit computes its feasible interval [min, max]: the smallest and
largest value it can take when every shown cell is fixed at its value, every relation holds and
every hidden cell stays within its bounds (counts: 0 and up). A cheap exact subtraction check
runs first (a relation with one hidden cell reveals it, and then maybe another): those cells
need no LP. The rest is split into connected components (hidden cells linked by relations once
shown cells are fixed); each gets one HiGHS model (highspy), re-solved warm with a new objective
for each min and max it needs, and a cell is left as soon as the feasible points seen prove it
protected. `audit(..., exact_intervals=True)` solves every min and max instead, and checks that
the LP agrees with subtraction. docs/DISCLOSURE.md ("Audit") has the why and the timings.

A hidden cell is protected (default rule, see `Protection`) when a reader cannot conclude it is a
count of 1-4: its interval includes 0 or reaches at least 5. An exactly determined hidden cell
(min == max) is never protected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

# Two LP bounds closer than this are the same number (HiGHS' default feasibility tolerance is 1e-7).
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Cell:
    """One published figure. `id` names it readably so a failure says which cell leaks, e.g.
    `srp_places|level=district|key=Dover|year=2024/25|designation=ASD|column=pupils_on_roll`.
    `lower`/`upper` are what a reader knows of any such cell (counts: 0 and up, no upper).
    `integer`: a reader knows the value is whole (counts, vacancies), so its interval is the
    LP's rounded inward, [ceil(min), floor(max)]; False for money, rates and shares."""

    id: str
    value: float
    hidden: bool
    lower: float = 0.0
    upper: float | None = None
    integer: bool = True
    # False for a cell that is hidden only because a count is (money that reveals a count, a
    # whole no table shows): it takes part in the relations but needs no protection itself.
    protect: bool = True


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
    reader cannot rule out 0) or reaches `min_upper` (a reader cannot conclude 1-4), and is not a
    single value. A rule must be monotone (an interval containing a protected one is protected):
    the audit proves protection from feasible points it has seen, short of the exact interval."""

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
    """Feasible values of a hidden cell. `complete` is False when the audit stopped once it had
    seen feasible values proving protection: the true interval then contains this one."""

    lower: float
    upper: float  # math.inf when nothing bounds the cell from above
    complete: bool = field(default=True, compare=False)

    @property
    def width(self) -> float:
        return self.upper - self.lower

    @property
    def is_exact(self) -> bool:
        return self.width <= TOLERANCE

    def __str__(self) -> str:
        return f"[{_fmt(self.lower)}, {_fmt(self.upper)}]" + ("" if self.complete else " or wider")


@dataclass(frozen=True)
class Finding:
    """An unprotected hidden cell: its id and the interval a reader can narrow it to."""

    cell_id: str
    interval: Interval
    by_subtraction: bool  # recoverable by subtractions alone (one relation, or a chain of them)

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
    components: int  # connected components of hidden cells left for the LP
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


def combine(results: Sequence[AuditResult]) -> AuditResult:
    """One result for audits of independent parts of a release (no relation between them)."""
    protection = results[0].protection if results else Protection()
    intervals = {cell: interval for result in results for cell, interval in result.intervals.items()}
    narrowest = min((r.narrowest for r in results if r.narrowest), key=lambda item: (item[1].width, item[0]),
                    default=None)
    return AuditResult(protection, intervals, tuple(f for r in results for f in r.unprotected),
                       cells=sum(r.cells for r in results), cells_hidden=sum(r.cells_hidden for r in results),
                       relations_checked=sum(r.relations_checked for r in results),
                       components=sum(r.components for r in results), lps_solved=sum(r.lps_solved for r in results),
                       narrowest=narrowest)


class ReleaseError(ValueError):
    """The release itself is wrong (unknown cell, relation not satisfied by the true values)."""


def audit(release: Release, protection: Protection = Protection(), exact_intervals: bool = False) -> AuditResult:
    """Feasible interval of every hidden cell and the ones `protection` does not protect.

    By default, cells recovered by (chains of) subtraction are fixed at their value without an
    LP, and a cell is left as soon as feasible points seen prove it protected. With
    `exact_intervals` every hidden cell gets its exact [min, max] by LP over the whole system,
    and the LP is checked against subtraction."""
    system = _HiddenSystem.build(release)
    revealed = system.revealed_by_subtraction()
    if exact_intervals:
        remaining, intervals = system, {}
    else:
        remaining = system.fixing(revealed)
        intervals = {system.ids[i]: Interval(value, value) for i, value in revealed.items()}
    lps = 0
    labels, n_components = remaining.components()
    for component in _members(labels, n_components):
        component_intervals, solved = remaining.solve_component(component, None if exact_intervals else protection)
        intervals.update(component_intervals)
        lps += solved
    intervals.update(remaining.unrelated_intervals())
    for index, value in revealed.items():
        found = intervals[system.ids[index]]
        if not found.is_exact or abs(found.lower - value) > TOLERANCE:
            raise AssertionError(f"LP interval {found} of {system.ids[index]} disagrees with subtraction")
    by_subtraction = {system.ids[i] for i in revealed}
    named = dict(sorted(intervals.items()))
    protected_ids = {cell_id for cell_id, protect in zip(system.ids, system.protect) if protect}
    findings = tuple(Finding(cell_id, interval, cell_id in by_subtraction)
                     for cell_id, interval in named.items()
                     if cell_id in protected_ids and not protection.protects(interval))
    narrowest = min(((cell_id, interval) for cell_id, interval in named.items() if cell_id in protected_ids),
                    key=lambda item: (item[1].width, item[0]), default=None)
    return AuditResult(protection, named, findings, cells=len(release.cells),
                       cells_hidden=len(system.ids), relations_checked=len(release.relations),
                       components=n_components, lps_solved=lps, narrowest=narrowest)


@dataclass
class _HiddenSystem:
    """The relations with shown cells substituted: A x = b over hidden cells only."""

    ids: list[str]
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    protect: np.ndarray
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
                   integer=np.array([cell.integer for cell in hidden], dtype=bool),
                   protect=np.array([cell.protect for cell in hidden], dtype=bool),
                   true_values=np.array([cell.value for cell in hidden], dtype=float),
                   matrix=matrix, rhs=np.array(rhs, dtype=float))

    def revealed_by_subtraction(self) -> dict[int, float]:
        """Hidden cells alone in a relation: value = rhs / coefficient. Each one found is then
        known, which may leave another relation with one hidden cell: repeat until none does."""
        by_row, by_column = self.matrix, self.matrix.tocsc()
        hidden_left = np.diff(by_row.indptr)
        rhs = self.rhs.copy()
        revealed: dict[int, float] = {}
        queue = list(np.flatnonzero(hidden_left == 1))
        while queue:
            row = queue.pop()
            if hidden_left[row] != 1:
                continue
            span = slice(by_row.indptr[row], by_row.indptr[row + 1])
            col, coef = next((c, a) for c, a in zip(by_row.indices[span], by_row.data[span]) if c not in revealed)
            revealed[int(col)] = value = float(rhs[row] / coef)
            span = slice(by_column.indptr[col], by_column.indptr[col + 1])
            for other_row, other_coef in zip(by_column.indices[span], by_column.data[span]):
                rhs[other_row] -= other_coef * value
                hidden_left[other_row] -= 1
                if hidden_left[other_row] == 1:
                    queue.append(other_row)
        return revealed

    def fixing(self, known: Mapping[int, float]) -> _HiddenSystem:
        """The same system with the `known` cells moved to the right-hand side."""
        fixed = np.zeros(len(self.ids), dtype=bool)
        values = np.zeros(len(self.ids))
        for index, value in known.items():
            fixed[index], values[index] = True, value
        keep = np.flatnonzero(~fixed)
        matrix = self.matrix[:, keep]
        rows = np.flatnonzero(np.diff(matrix.tocsr().indptr) > 0)
        return _HiddenSystem(ids=[self.ids[i] for i in keep], lower=self.lower[keep], upper=self.upper[keep],
                             integer=self.integer[keep], protect=self.protect[keep], true_values=self.true_values[keep],
                             matrix=sparse.csr_array(matrix[rows]), rhs=(self.rhs - self.matrix @ values)[rows])

    def components(self) -> tuple[np.ndarray, int]:
        """Label hidden cells by connected component (linked when they share a relation). Cells in
        no relation get the label -1 and are not counted."""
        incidence = (self.matrix != 0).astype(np.int8)
        n_cells = len(self.ids)
        if incidence.shape[0] == 0:
            return np.full(n_cells, -1), 0
        adjacency = sparse.block_array([[None, incidence], [incidence.T, None]], format="csr")
        _, labels = connected_components(adjacency, directed=False)
        cell_labels = labels[len(self.rhs):]
        in_relation = np.diff(incidence.T.tocsr().indptr) > 0
        used = np.unique(cell_labels[in_relation])
        renumber = {label: i for i, label in enumerate(used)}
        return np.array([renumber[l] if r else -1 for l, r in zip(cell_labels, in_relation)]), len(used)

    def unrelated_intervals(self) -> dict[str, Interval]:
        """Hidden cells in no relation: nothing narrows them beyond their own bounds."""
        in_relation = np.diff(self.matrix.tocsc().indptr) > 0
        return {self.ids[i]: _interval(self.lower[i], self.upper[i], self.integer[i])
                for i in np.flatnonzero(~in_relation)}

    def solve_component(self, cells: np.ndarray, protection: Protection | None) -> tuple[dict[str, Interval], int]:
        """Interval of each cell of one component; returns them and the number of LPs solved."""
        rows = np.unique(self.matrix[:, cells].nonzero()[0])
        lp = _ComponentLP(self.matrix[rows][:, cells], self.rhs[rows], self.lower[cells], self.upper[cells],
                          self.integer[cells], self.true_values[cells], self.protect[cells])
        if protection is not None:
            lp.prove_protection(protection)
        lp.solve_each(protection)
        return {self.ids[cell]: lp.interval(i) for i, cell in enumerate(cells)}, lp.solved


class _ComponentLP:
    """min/max LPs over one component, reusing its constraint matrix. Every LP solution is a
    feasible point: `seen_*` hold the least and greatest value each cell took in any of them
    (the true values first); a cell seen at its own bound has that bound as its exact optimum."""

    def __init__(self, a_eq: sparse.csr_array, b_eq: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 integer: np.ndarray, true_values: np.ndarray, protect: np.ndarray) -> None:
        self.lower, self.upper, self.integer, self.protect = lower, upper, integer, protect
        self.highs = _highs_model(a_eq, b_eq, lower, upper)
        self.costed = np.zeros(0, dtype=np.int32)  # columns with a non-zero cost in the model now
        self.seen_min, self.seen_max = true_values.copy(), true_values.copy()
        self.exact_min = np.full(len(lower), np.nan)
        self.exact_max = np.full(len(lower), np.nan)
        self.solved = 0
        self.note(true_values)

    def note(self, point: np.ndarray) -> None:
        np.minimum(self.seen_min, point, out=self.seen_min)
        np.maximum(self.seen_max, point, out=self.seen_max)
        at_lower = np.isnan(self.exact_min) & (point <= self.lower + TOLERANCE)
        self.exact_min[at_lower] = self.lower[at_lower]
        at_upper = np.isnan(self.exact_max) & (point >= self.upper - TOLERANCE)
        self.exact_max[at_upper] = self.upper[at_upper]

    def optimise(self, objective: np.ndarray) -> np.ndarray | None:
        """Solve min objective.x, warm-started from the last basis; the solution, or None when
        unbounded."""
        costed = np.flatnonzero(objective).astype(np.int32)
        columns = np.union1d(self.costed, costed).astype(np.int32)
        self.highs.changeColsCost(len(columns), columns, objective[columns].astype(float))
        self.costed = costed
        self.highs.run()
        self.solved += 1
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise AssertionError(f"disclosure audit LP failed: {self.highs.modelStatusToString(status)}")
        point = np.array(self.highs.getSolution().col_value)
        self.note(point)
        return point

    def proven(self, protection: Protection) -> np.ndarray:
        return np.array([not protect or protection.protects(_interval(lo, hi, whole))
                         for lo, hi, whole, protect in zip(self.seen_min, self.seen_max, self.integer, self.protect)])

    def prove_protection(self, protection: Protection) -> None:
        """Push all unproven cells down together, then up together, while that proves more cells
        protected: one LP each way instead of two per cell."""
        unproven = ~self.proven(protection)
        while unproven.any():
            for sense in (1.0, -1.0):
                self.optimise(sense * unproven.astype(float))
            still = ~self.proven(protection)
            if still.sum() == unproven.sum():
                return
            unproven = still

    def solve_each(self, protection: Protection | None) -> None:
        """Exact min and max by LP of each cell not yet proven protected (all when no rule)."""
        for i in range(len(self.lower)):
            for sense, exact in ((1.0, self.exact_min), (-1.0, self.exact_max)):
                if protection is not None and (not self.protect[i] or protection.protects(
                        _interval(self.seen_min[i], self.seen_max[i], self.integer[i]))):
                    break
                if not np.isnan(exact[i]):
                    continue
                objective = np.zeros(len(self.lower))
                objective[i] = sense
                point = self.optimise(objective)
                exact[i] = point[i] if point is not None else -sense * math.inf

    def interval(self, i: int) -> Interval:
        complete = not (np.isnan(self.exact_min[i]) or np.isnan(self.exact_max[i]))
        lower = self.seen_min[i] if np.isnan(self.exact_min[i]) else self.exact_min[i]
        upper = self.seen_max[i] if np.isnan(self.exact_max[i]) else self.exact_max[i]
        return _interval(lower, upper, self.integer[i], complete)


def _highs_model(a_eq: sparse.csr_array, b_eq: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> highspy.Highs:
    """One HiGHS model per component: A x = b, lower <= x <= upper, costs set per solve."""
    by_column = sparse.csc_array(a_eq)
    by_column.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = by_column.shape[1], by_column.shape[0]
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.col_lower_ = np.where(np.isinf(lower), -highspy.kHighsInf, lower)
    lp.col_upper_ = np.where(np.isinf(upper), highspy.kHighsInf, upper)
    lp.row_lower_ = lp.row_upper_ = np.asarray(b_eq, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = by_column.indptr.astype(np.int32)
    lp.a_matrix_.index_ = by_column.indices.astype(np.int32)
    lp.a_matrix_.value_ = by_column.data.astype(float)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # Only the costs change between solves, so the last optimal basis stays primal feasible:
    # primal simplex goes on from it (4-5x faster than HiGHS' default choice on large components).
    highs.setOptionValue("simplex_strategy", 4)
    highs.passModel(lp)
    return highs


def _interval(lower: float, upper: float, integer: bool, complete: bool = True) -> Interval:
    """The LP's interval; for a whole-number cell rounded inward (the LP ignores integrality)."""
    if integer:
        lower = lower if math.isinf(lower) else math.ceil(lower - TOLERANCE)
        upper = upper if math.isinf(upper) else math.floor(upper + TOLERANCE)
    return Interval(float(lower), float(upper), complete)


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
