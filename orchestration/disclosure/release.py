"""The release: every shareable gold table with disclosure control applied, decided at once.

One engine for everything that leaves the council. `decide_release` reads the gold tables and
their declarations (declarations.py), hides counts the rules hide (primary), hides more cells
wherever the linked tables' relations (relations.py) would give one back (secondary,
suppression.py), hides every figure built on a hidden count (its declared bases), then audits
the result (audit.py) and, if the audit finds a cell a reader could narrow to 1-4, hides one
more count in a relation of that cell and tries again. `write_release` writes the decision as
`external.<table>`: the gold columns with hidden values NULL, and after every column that can
be hidden a `<column>_flag` with the GSS symbol (`c` hidden, `x` not available, `z` not
applicable). The public report, the published file and its Parquet all read these tables.

`audit_written_release` is the independent check: it reads back what was written, compares it
with gold (shown values unchanged, every primary count hidden) and audits the hidden cells with
relations rebuilt from gold, so a fault in the engine cannot pass its own audit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from orchestration.disclosure import audit as lp_audit
from orchestration.disclosure.declarations import (
    COUNT,
    DERIVED,
    MONEY_REVEALS_COUNT,
    RATE,
    Declarations,
    DisclosureRules,
    TableDeclaration,
    load_declarations,
    load_rules,
)
from orchestration.disclosure.relations import (
    Position,
    SumGroup,
    TableRows,
    cross_table_groups,
    repeated_cells,
    table_groups,
)
from orchestration.disclosure.suppression import secondary_suppression

GOLD = "gold"
RELEASE_SCHEMA = "external"
AUDIT_TABLE = "release_audit"
FLAG_SUFFIX = "_flag"
HIDDEN, NOT_AVAILABLE, NOT_APPLICABLE = "c", "x", "z"
# roles whose cells can be hidden (and so get a flag column)
FLAGGED_ROLES = frozenset({COUNT, DERIVED, RATE, MONEY_REVEALS_COUNT})
MAX_REPAIR_ROUNDS = 25
# shareable gold tables (every gold table with declarations), in report order
SHAREABLE_TABLES = (
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


class ReleaseAuditError(RuntimeError):
    """The release would let a reader work out a hidden count (or differs from gold)."""


@dataclass
class Decision:
    """Which positions of which tables are hidden, and the audit that proved it."""

    tables: dict[str, TableRows]
    declarations: dict[str, TableDeclaration]
    hidden: set[Position]
    audit: lp_audit.AuditResult
    primary: int
    secondary: int
    repairs: int = 0

    def is_hidden(self, table: str, row: int, column: str) -> bool:
        return (table, row, column) in self.hidden


@dataclass(frozen=True)
class ReleaseSummary:
    tables: dict[str, int]  # external table -> rows
    cells_published: int
    cells_hidden: int
    primary: int
    secondary: int
    repairs: int
    audit: lp_audit.AuditResult = field(repr=False)


# ---------------------------------------------------------------------------------------------
# reading gold
# ---------------------------------------------------------------------------------------------
def read_tables(connection: duckdb.DuckDBPyConnection, declarations: Declarations,
                schema: str = GOLD, names: Sequence[str] = SHAREABLE_TABLES) -> dict[str, TableRows]:
    """The built shareable tables, rows in a fixed order (by their coordinates)."""
    return {name: _rows(name, arrow) for name, arrow in read_arrow(connection, declarations, schema, names).items()}


def read_arrow(connection: duckdb.DuckDBPyConnection, declarations: Declarations,
               schema: str = GOLD, names: Sequence[str] = SHAREABLE_TABLES) -> dict[str, pa.Table]:
    existing = {name for (name,) in connection.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}
    tables = {}
    for name in names:
        if name not in existing or name not in declarations.tables:
            continue
        order = ", ".join(f'"{c}"' for c in _order_columns(declarations.tables[name].structure))
        tables[name] = connection.execute(f'select * from "{schema}"."{name}" order by {order}').to_arrow_table()
    return tables


def _rows(name: str, arrow: pa.Table) -> TableRows:
    rows = tuple({c: _plain(v) for c, v in row.items()} for row in arrow.to_pylist())
    return TableRows(name, tuple(arrow.column_names), rows)


def _order_columns(structure) -> list[str]:
    names = [structure.period, structure.level_column, structure.level_key]
    names += [c.column for c in structure.categories] + [c.partition_by for c in structure.categories if c.partition_by]
    names += [g.over for g in structure.group_sums]
    return list(dict.fromkeys(names))


def _plain(value):
    from decimal import Decimal
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# ---------------------------------------------------------------------------------------------
# deciding
# ---------------------------------------------------------------------------------------------
@dataclass
class _Cells:
    """Every position's value and role, and the relations between them."""

    tables: dict[str, TableRows]
    declarations: dict[str, TableDeclaration]
    groups: list[SumGroup]
    canonical: dict[Position, Position]

    @classmethod
    def build(cls, tables: Mapping[str, TableRows], declarations: Declarations) -> _Cells:
        declared = {name: declarations.tables[name] for name in tables}
        canonical: dict[Position, Position] = {}
        for name, table in tables.items():
            canonical.update(repeated_cells(table, declared[name]))
        groups = []
        for name, table in tables.items():
            groups += table_groups(table, declared[name])
        cells = cls(dict(tables), declared, [], canonical)
        for group in groups + cross_table_groups(tables, declared):
            group = SumGroup(cells.same(group.total), tuple(cells.same(p) for p in group.parts), group.rule)
            if cells.holds(group):
                cells.groups.append(group)
        return cells

    def same(self, position: Position) -> Position:
        return self.canonical.get(position, position)

    def value(self, position: Position) -> float | None:
        table, row, column = position
        if not isinstance(row, int):  # a virtual whole: the sum of its first partition
            return self._whole_values().get(position)
        value = self.tables[table].rows[row].get(column)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def _whole_values(self) -> dict[Position, float]:
        cache = self.__dict__.setdefault("_wholes", {})
        if not cache:
            for group in self.groups_raw_wholes():
                cache.setdefault(group.total, sum(self.value(p) or 0.0 for p in group.parts))
        return cache

    def groups_raw_wholes(self):
        for name, table in self.tables.items():
            for group in table_groups(table, self.declarations[name]):
                if not isinstance(group.total[1], int):
                    yield group

    def role(self, position: Position) -> str | None:
        table, row, column = position
        if not isinstance(row, int):
            return COUNT
        found = self.declarations[table].roles.get(column)
        return found.role if found else None

    def holds(self, group: SumGroup) -> bool:
        """Only relations the true values satisfy are ones a reader can use (a NULL is 0)."""
        total = self.value(group.total) or 0.0
        parts = sum(self.value(p) or 0.0 for p in group.parts)
        return abs(total - parts) <= 1e-6 * max(1.0, abs(total))

    def groups_by_position(self) -> dict[Position, list[SumGroup]]:
        found: dict[Position, list[SumGroup]] = {}
        for group in self.groups:
            for position in (group.total, *group.parts):
                found.setdefault(position, []).append(group)
        return found

    def count_positions(self) -> list[Position]:
        return [(name, i, column)
                for name, table in self.tables.items()
                for column, role in self.declarations[name].roles.items() if role.role == COUNT and column in table.columns
                for i in range(len(table.rows))]

    def is_count_group(self, group: SumGroup) -> bool:
        return all(self.role(p) == COUNT for p in (group.total, *group.parts))


def decide_release(tables: Mapping[str, TableRows], declarations: Declarations, rules: DisclosureRules,
                   protection: lp_audit.Protection | None = None) -> Decision:
    """Hide primary counts, then secondary cells, then everything built on a hidden count;
    audit, and repair what the audit finds until it passes (or MAX_REPAIR_ROUNDS)."""
    protection = protection or protection_of(rules)
    cells = _Cells.build(tables, declarations)
    primary = {p for p in cells.count_positions() if rules.hides(_whole(cells.value(p)))}
    count_groups = [g for g in cells.groups if cells.is_count_group(g)]

    def hideable(position: Position) -> bool:
        return cells.role(position) == COUNT

    hidden_counts = secondary_suppression(_values(cells, count_groups), count_groups, primary, hideable)
    repairs = 0
    while True:
        hidden = hidden_counts | derived_hidden(cells, hidden_counts)
        result = lp_audit.audit(audit_release(cells, hidden), protection)
        if result.passed or repairs >= MAX_REPAIR_ROUNDS:
            break
        extra = _repairs(cells, hidden, result)
        if not extra:
            break
        repairs += 1
        hidden_counts = secondary_suppression(_values(cells, count_groups), count_groups,
                                              hidden_counts | extra, hideable)
    published = {p for p in hidden if isinstance(p[1], int)}
    return Decision(cells.tables, cells.declarations, published | _repeats_hidden(cells, published), result,
                    primary=len(primary), secondary=len({p for p in hidden_counts if isinstance(p[1], int)}) - len(primary),
                    repairs=repairs)


def protection_of(rules: DisclosureRules) -> lp_audit.Protection:
    return lp_audit.Protection(min_upper=float(rules.protection_upper), zero=float(rules.protection_lower))


def _whole(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def _values(cells: _Cells, groups: Sequence[SumGroup]) -> dict[Position, float | None]:
    return {p: cells.value(p) for g in groups for p in (g.total, *g.parts)}


def derived_hidden(cells: _Cells, hidden_counts: set[Position]) -> set[Position]:
    """Every derived, rate or money cell of a row whose count bases include a hidden count."""
    out = set()
    by_row: dict[tuple[str, int], set[str]] = {}
    for table, row, column in hidden_counts:
        if isinstance(row, int):
            by_row.setdefault((table, row), set()).add(column)
    for (table, row), columns in by_row.items():
        declaration = cells.declarations[table]
        for column, role in declaration.roles.items():
            if role.role in FLAGGED_ROLES and role.role != COUNT and column in cells.tables[table].columns:
                if columns & set(_count_bases(declaration, column)):
                    out.add((table, row, column))
    return out


def _count_bases(declaration: TableDeclaration, column: str) -> tuple[str, ...]:
    return Declarations({declaration.name: declaration}).count_bases(declaration.name, column)


def _repeats_hidden(cells: _Cells, hidden: set[Position]) -> set[Position]:
    """A repeated cell (a group total on every row of its group) is hidden wherever it shows."""
    return {position for position, stands_for in cells.canonical.items() if stands_for in hidden}


def _repairs(cells: _Cells, hidden: set[Position], result: lp_audit.AuditResult) -> set[Position]:
    """For each unprotected cell, one more count to hide: the least informative shown count in
    a relation of that cell (fewest hidden cells first), else in a relation of a hidden cell
    linked to it, nearest first."""
    ids = _ids(cells)
    by_id = {cell_id: position for position, cell_id in ids.items()}
    groups_of = cells.groups_by_position()
    extra: set[Position] = set()
    for finding in result.unprotected:
        frontier, seen = [by_id.get(finding.cell_id)], set()
        while frontier and len(seen) < 10_000:
            choice = _best_in_groups(cells, frontier, groups_of, hidden | extra)
            if choice is not None:
                extra.add(choice)
                break
            seen.update(frontier)
            frontier = list({p for position in frontier for g in groups_of.get(position, ())
                             for p in (g.total, *g.parts) if p not in seen})
    return extra


def _best_in_groups(cells: _Cells, positions, groups_of, hidden: set[Position]) -> Position | None:
    best = None
    for position in positions:
        for group in groups_of.get(position, ()):
            members = [group.total, *group.parts]
            shown = [p for p in members if p not in hidden and cells.role(p) == COUNT
                     and isinstance(p[1], int) and cells.value(p) is not None]
            if not shown:
                continue
            choice = min(shown, key=lambda p: ((cells.value(p) or 0) == 0, cells.value(p) or 0))
            rank = (sum(p in hidden for p in members), (cells.value(choice) or 0) == 0, cells.value(choice))
            if best is None or rank < best[0]:
                best = (rank, choice)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# the audit's view: cells and relations
# ---------------------------------------------------------------------------------------------
def audit_release(cells: _Cells, hidden: set[Position]) -> lp_audit.Release:
    """Every cell in a relation, shown at its value or hidden, and the relations: the sums,
    and money = rate x count where a money column declares its per-unit rate."""
    ids = _ids(cells)
    used: set[Position] = set()
    relations = []
    for group in cells.groups:
        relations.append(lp_audit.Relation(ids[group.total], tuple(ids[p] for p in group.parts)))
        used.update((group.total, *group.parts))
    per_unit = _per_unit_relations(cells, ids)
    for relation, positions in per_unit:
        relations.append(relation)
        used.update(positions)
    audit_cells = []
    for position in used:
        role = cells.role(position)
        virtual = not isinstance(position[1], int)
        money = role == MONEY_REVEALS_COUNT
        audit_cells.append(lp_audit.Cell(
            ids[position], cells.value(position) or 0.0,
            hidden=virtual or position in hidden,
            lower=-math.inf if money else 0.0,
            integer=not money,
            protect=role == COUNT and not virtual,
        ))
    return lp_audit.Release.of(audit_cells, relations)


def _per_unit_relations(cells: _Cells, ids: Mapping[Position, str]):
    for name, table in cells.tables.items():
        for column, role in cells.declarations[name].roles.items():
            if role.role != MONEY_REVEALS_COUNT or not role.per_unit:
                continue
            counts = [b for b in role.bases if cells.role((name, 0, b)) == COUNT]
            if len(counts) != 1:
                continue
            for i, row in enumerate(table.rows):
                money, rate, count = row.get(column), row.get(role.per_unit), row.get(counts[0])
                if None in (money, rate, count):
                    continue
                if abs(float(money) - float(rate) * float(count)) > 1e-6 * max(1.0, abs(float(money))):
                    continue  # rounded: not an equation a reader can solve exactly
                positions = [(name, i, column), (name, i, counts[0])]
                ids.setdefault(positions[0], _id(cells, positions[0]))
                ids.setdefault(positions[1], _id(cells, positions[1]))
                # money - rate x count = money - rate x count as published (rounding kept as a constant)
                yield lp_audit.LinearRelation.of({ids[positions[0]]: 1.0, ids[positions[1]]: -float(rate)},
                                                 f"{name}.{column} = {role.per_unit} x {counts[0]}"), positions


def _ids(cells: _Cells) -> dict[Position, str]:
    cache = cells.__dict__.setdefault("_ids", {})
    if not cache:
        for group in cells.groups:
            for position in (group.total, *group.parts):
                if position not in cache:
                    cache[position] = _id(cells, position)
    return cache


def _id(cells: _Cells, position: Position) -> str:
    table, row, column = position
    if not isinstance(row, int):
        return f"{table}|{'|'.join(str(x) for x in row)}|column={column}"
    structure = cells.declarations[table].structure
    names = _order_columns(structure)
    record = cells.tables[table].rows[row]
    return f"{table}|" + "|".join(f"{n}={record.get(n)}" for n in names) + f"|column={column}"


# ---------------------------------------------------------------------------------------------
# writing the release
# ---------------------------------------------------------------------------------------------
def write_release(connection: duckdb.DuckDBPyConnection, declarations: Declarations | None = None,
                  rules: DisclosureRules | None = None, audited_at: dt.datetime | None = None) -> ReleaseSummary:
    """Decide the release over the built gold tables and write it as `external.<table>` plus
    `external.release_audit`, in one transaction (a failure leaves the last release)."""
    declarations = declarations or load_declarations()
    rules = rules or load_rules()
    arrows = read_arrow(connection, declarations)
    decision = decide_release({n: _rows(n, a) for n, a in arrows.items()}, declarations, rules)
    released = {name: released_table(arrow, decision, name) for name, arrow in arrows.items()}
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {RELEASE_SCHEMA}")
        for name, table in released.items():
            connection.register("__release", table)
            connection.execute(f'create or replace table {RELEASE_SCHEMA}."{name}" as select * from __release')
            connection.unregister("__release")
        connection.register("__audit", audit_row(decision, audited_at))
        connection.execute(f"create or replace table {RELEASE_SCHEMA}.{AUDIT_TABLE} as select * from __audit")
        connection.unregister("__audit")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return ReleaseSummary(
        tables={name: table.num_rows for name, table in released.items()},
        cells_published=sum(table.num_rows * len(table.column_names) for table in released.values()),
        cells_hidden=len(decision.hidden), primary=decision.primary, secondary=decision.secondary,
        repairs=decision.repairs, audit=decision.audit)


def released_table(arrow: pa.Table, decision: Decision, name: str) -> pa.Table:
    """The gold table with hidden cells NULL and a `<column>_flag` after every column that can be
    hidden."""
    declaration = decision.declarations[name]
    rows = decision.tables[name].rows
    columns, names = [], []
    for column in arrow.column_names:
        role = declaration.roles.get(column)
        values = arrow.column(column)
        if role is None or role.role not in FLAGGED_ROLES:
            columns.append(values)
            names.append(column)
            continue
        mask = pa.array([decision.is_hidden(name, i, column) for i in range(len(rows))], pa.bool_())
        columns.append(pa.compute.if_else(mask, pa.nulls(len(rows), values.type), values))
        names.append(column)
        columns.append(pa.array([flag(declaration, row, column, hidden)
                                 for row, hidden in zip(rows, mask.to_pylist())], pa.string()))
        names.append(column + FLAG_SUFFIX)
    return pa.Table.from_arrays(columns, names=names)


def flag(declaration: TableDeclaration, row: Mapping, column: str, hidden: bool) -> str | None:
    """The GSS symbol of a cell: c hidden, z not applicable (a rate over 0), x not available."""
    if hidden:
        return HIDDEN
    if row.get(column) is not None:
        return None
    role = declaration.roles[column]
    if role.role == RATE and row.get(role.denominator) == 0:
        return NOT_APPLICABLE
    return NOT_AVAILABLE


def audit_row(decision: Decision, audited_at: dt.datetime | None = None) -> pa.Table:
    result = decision.audit
    narrowest_cell, narrowest = result.narrowest or (None, None)
    return pa.Table.from_pylist([{
        "cells_published": sum(len(t.rows) * len(t.columns) for t in decision.tables.values()),
        "cells_hidden": len(decision.hidden),
        "counts_hidden_primary": decision.primary,
        "counts_hidden_secondary": decision.secondary,
        "repair_rounds": decision.repairs,
        "relations_checked": result.relations_checked,
        "narrowest_interval": None if narrowest is None else str(narrowest),
        "narrowest_cell": narrowest_cell,
        "unprotected_cells": len(result.unprotected),
        "passed": result.passed,
        "audited_at": audited_at or dt.datetime.now(dt.timezone.utc),
    }])
