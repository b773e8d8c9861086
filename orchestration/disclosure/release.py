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
    FLAGGED_ROLES,
    SHAREABLE_TABLES,
    DisclosureRules,
    TableDeclaration,
    load_declarations,
    load_rules,
)
from orchestration.disclosure.relations import (
    Position,
    SumGroup,
    TableRows,
    coordinates,
    cross_table_groups,
    repeated_cells,
    table_groups,
)
from orchestration.disclosure.names import (  # noqa: F401 - re-exported: the release's names
    AUDIT_TABLE,
    FLAG_SUFFIX,
    HIDDEN,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    RELEASE_SCHEMA,
)
from orchestration.disclosure.suppression import secondary_suppression

GOLD = "gold"
MAX_REPAIR_ROUNDS = 25


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
        tables[name] = connection.sql(f'select * from "{schema}"."{name}" order by {order}').to_arrow_table()
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
    wholes: dict[Position, float]
    protection: lp_audit.Protection = field(default_factory=lp_audit.Protection)

    @classmethod
    def build(cls, tables: Mapping[str, TableRows], declarations: Declarations) -> _Cells:
        declared = {name: declarations.tables[name] for name in tables}
        canonical: dict[Position, Position] = {}
        for name, table in tables.items():
            canonical.update(repeated_cells(table, declared[name]))
        groups = []
        for name, table in tables.items():
            groups += table_groups(table, declared[name])
        cells = cls(dict(tables), declared, [], canonical, {})
        for group in groups:  # a virtual whole's value: the sum of the first partition of it
            if not isinstance(group.total[1], int) and group.total not in cells.wholes:
                cells.wholes[group.total] = sum(cells.value(p) or 0.0 for p in group.parts)
        cross = [g for g in cross_table_groups(tables, declared) if cells.holds(g)]
        for group in cross:  # the same count in two tables is one cell: hidden in both or neither
            if len(group.parts) == 1 and cells.same(group.parts[0]) != group.total:
                cells.canonical[group.total] = cells.same(group.parts[0])
        for group in groups + [g for g in cross if len(g.parts) > 1]:
            group = SumGroup(cells.same(group.total), tuple(cells.same(p) for p in group.parts), group.rule)
            if group.parts != (group.total,) and cells.holds(group):
                cells.groups.append(group)
        return cells

    def same(self, position: Position) -> Position:
        while position in self.canonical:
            position = self.canonical[position]
        return position

    def value(self, position: Position) -> float | None:
        table, row, column = position
        if not isinstance(row, int):  # a virtual whole: the sum of its first partition
            return self.wholes.get(position)
        value = self.tables[table].rows[row].get(column)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

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

    def blocks(self) -> dict[str | None, tuple[list[SumGroup], list]]:
        """The relations by period (the first coordinate of every position in them)."""
        found: dict[str | None, tuple[list[SumGroup], list]] = {}
        for group in self.groups:
            found.setdefault(self.period(group.total), ([], []))[0].append(group)
        for relation, positions in _per_unit_relations(self, _ids(self)):
            found.setdefault(self.period(positions[0]), ([], []))[1].append((relation, positions))
        return found

    def period(self, position: Position) -> str | None:
        table, row, _ = position
        if not isinstance(row, int):
            return row[2]  # ("whole", category, period, ...)
        value = self.tables[table].rows[row].get(self.declarations[table].structure.period)
        return None if value is None else str(value)

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
    cells = _Cells.build(tables, declarations)
    cells.protection = protection or protection_of(rules)
    primary = {p for p in cells.count_positions() if rules.hides(_whole(cells.value(p)))}
    count_groups = [g for g in cells.groups if cells.is_count_group(g)]

    shown_determined: set[Position] = set()  # hidden counts the audit found worked out: shown

    def hideable(position: Position) -> bool:
        return cells.role(position) == COUNT and position not in shown_determined

    def suppress(start: set[Position]) -> set[Position]:
        """Secondary suppression until the counts hidden with others (hide_with) add nothing."""
        hidden = secondary_suppression(_values(cells, count_groups), count_groups, start, hideable)
        while echoes := {cells.same(p) for p in _hidden_with(cells, hidden | _repeats_hidden(cells, hidden))} - hidden:
            hidden = secondary_suppression(_values(cells, count_groups), count_groups, hidden | echoes, hideable)
        return hidden

    primary = {cells.same(p) for p in primary}
    hidden_counts = suppress(primary)
    hidden_money: set[Position] = set()
    repairs, blocks = 0, {}
    while True:
        counts = hidden_counts | _repeats_hidden(cells, hidden_counts)
        hidden = counts | hidden_money
        hidden |= derived_hidden(cells, hidden)
        hidden |= money_over_hidden(cells, hidden)
        hidden |= derived_hidden(cells, hidden)
        blocks = _audit_blocks(cells, hidden, blocks)
        result = lp_audit.combine([audited for audited, _ in blocks.values()])
        if result.passed or repairs >= MAX_REPAIR_ROUNDS:
            break
        determined = _determined_shown(cells, result, rules, hidden_counts)
        shown_determined |= determined
        extra = _repairs(cells, hidden, result, skip=shown_determined)
        if not extra and not determined:
            break
        repairs += 1
        hidden_counts -= determined
        hidden_money |= {p for p in extra if cells.role(p) == MONEY_REVEALS_COUNT}
        hidden_counts = suppress(hidden_counts | {p for p in extra if cells.role(p) == COUNT})
    published = {p for p in hidden if isinstance(p[1], int)}
    return Decision(cells.tables, cells.declarations, published, result,
                    primary=len(primary), secondary=len({p for p in hidden_counts if isinstance(p[1], int)}) - len(primary),
                    repairs=repairs)


def _determined_shown(cells: _Cells, result: lp_audit.AuditResult, rules: DisclosureRules,
                      hidden_counts: set[Position]) -> set[Position]:
    """Hidden zeros a reader can work out exactly anyway (a zero hidden for secondary
    suppression whose relations pin it): the rules show zeros, and showing a cell already
    determined changes no other cell's interval, so they are shown rather than hidden in vain.
    A count hidden because a count beside it is (hide_with) stays hidden. (A determined count
    of 5 or more is left to the repairs: showing it could undo the cells hidden around it.)"""
    by_id = cells.__dict__.setdefault("_by_id", {cell_id: position for position, cell_id in _ids(cells).items()})
    echoes = {cells.same(p) for p in _hidden_with(cells, hidden_counts | _repeats_hidden(cells, hidden_counts))}
    found = set()
    for finding in result.unprotected:
        position = by_id.get(finding.cell_id)
        value = cells.value(position) if position else None
        if (position in hidden_counts and finding.interval.is_exact and value == 0
                and not rules.hides(0) and position not in echoes):
            found.add(position)
    return found


def _hidden_with(cells: _Cells, hidden: set[Position]) -> set[Position]:
    """Counts declared `hide_with` a hidden count of their row."""
    echoes = {(name, column, other) for name, declaration in cells.declarations.items()
              for column, role in declaration.roles.items() for other in role.hide_with}
    by_source: dict[tuple[str, str], list[str]] = {}
    for name, column, other in echoes:
        by_source.setdefault((name, other), []).append(column)
    return {(table, row, column) for table, row, source in hidden if isinstance(row, int)
            for column in by_source.get((table, source), ())
            if cells.value((table, row, column)) is not None}  # nothing to hide in a NULL


def protection_of(rules: DisclosureRules) -> lp_audit.Protection:
    return lp_audit.Protection(min_upper=float(rules.protection_upper), zero=float(rules.protection_lower))


def _whole(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def _values(cells: _Cells, groups: Sequence[SumGroup]) -> dict[Position, float | None]:
    return {p: cells.value(p) for g in groups for p in (g.total, *g.parts)}


def derived_hidden(cells: _Cells, hidden: set[Position]) -> set[Position]:
    """Every derived, rate or money cell of a row built (through its bases) on a hidden cell of
    that row: a hidden count, or money hidden so that a sum of money cannot give a count away."""
    out = set()
    by_row: dict[tuple[str, int], set[str]] = {}
    for table, row, column in hidden:
        if isinstance(row, int):
            by_row.setdefault((table, row), set()).add(column)
    built_on = {name: {column: _all_bases(declaration, column)
                       for column, role in declaration.roles.items()
                       if role.role in FLAGGED_ROLES and role.role != COUNT and column in cells.tables[name].columns}
                for name, declaration in cells.declarations.items()}
    for (table, row), columns in by_row.items():
        for column, bases in built_on[table].items():
            if columns & bases:
                out.add((table, row, column))
    return out


def money_over_hidden(cells: _Cells, hidden: set[Position]) -> set[Position]:
    """Money that reveals a count is shown only where every count it adds up is shown: a sum
    of top-ups at different rates is one more equation in the hidden pupils, so a total of
    money over any hidden money is hidden too (up the levels and categories). Shown money is
    then a function of shown counts and tells a reader nothing more."""
    money_groups = [g for g in cells.groups if cells.role(g.total) == MONEY_REVEALS_COUNT]
    out = set(hidden)
    changed = True
    while changed:
        changed = False
        for group in money_groups:
            if group.total not in out and any(p in out for p in group.parts):
                out.add(group.total)
                changed = True
    return out - hidden


def _all_bases(declaration: TableDeclaration, column: str) -> set[str]:
    """Every column a column is computed from, through bases of bases."""
    found, pending = set(), list(declaration.roles[column].hidden_with)
    while pending:
        name = pending.pop()
        if name not in found and name in declaration.roles:
            found.add(name)
            pending += declaration.roles[name].hidden_with
    return found


def _count_bases(declaration: TableDeclaration, column: str) -> tuple[str, ...]:
    return Declarations({declaration.name: declaration}).count_bases(declaration.name, column)


def _repeats_hidden(cells: _Cells, hidden: set[Position]) -> set[Position]:
    """A repeated cell (a group total on every row of its group, a count another table shows)
    is hidden wherever it shows."""
    return {position for position in cells.canonical if cells.same(position) in hidden}


def _repairs(cells: _Cells, hidden: set[Position], result: lp_audit.AuditResult,
             skip: set[Position] = frozenset()) -> set[Position]:
    """For each unprotected cell, one more count to hide: the least informative shown count in
    a relation of that cell (fewest hidden cells first), else in a relation of a hidden cell
    linked to it, nearest first."""
    by_id = cells.__dict__.setdefault("_by_id", {cell_id: position for position, cell_id in _ids(cells).items()})
    groups_of = cells.__dict__.setdefault("_groups_of", cells.groups_by_position())
    for relation, positions in cells.__dict__.setdefault("_per_unit", list(_per_unit_relations(cells, _ids(cells)))):
        # money = rate x count: the money's own sums are relations of the count too
        link = SumGroup(positions[0], (positions[1],), "per unit")
        for position in positions:
            if link not in groups_of.setdefault(position, []):
                groups_of[position].append(link)
    extra: set[Position] = set()
    for finding in result.unprotected:
        if by_id.get(finding.cell_id) in skip:
            continue
        frontier, seen = [by_id.get(finding.cell_id)], set()
        while frontier and len(seen) < 10_000:
            choice = _best_in_groups(cells, frontier, groups_of, hidden | extra | skip)
            if choice is not None:
                extra.add(choice)
                break
            seen.update(frontier)
            frontier = list({p for position in frontier for g in groups_of.get(position, ())
                             for p in (g.total, *g.parts) if p not in seen})
    return extra


def _best_in_groups(cells: _Cells, positions, groups_of, hidden: set[Position]) -> Position | None:
    best = None
    linked = [g.total for position in positions for g in groups_of.get(position, ()) if g.rule == "per unit"]
    for position in [*positions, *linked]:
        for group in groups_of.get(position, ()):
            members = [group.total, *group.parts]
            if group.rule == "per unit":
                continue  # a link to follow, not a relation to hide a cell in
            shown = [p for p in members if p not in hidden and cells.role(p) in (COUNT, MONEY_REVEALS_COUNT)
                     and isinstance(p[1], int) and cells.value(p) is not None]
            if not shown:
                continue
            # money first (hiding it hides no count of people), then the cell in the fewest
            # relations (hiding it disturbs the fewest others), then the smallest non-zero count
            def cost(p: Position) -> tuple:
                return (cells.role(p) == COUNT, len(groups_of.get(p, ())), (cells.value(p) or 0) == 0,
                        cells.value(p) or 0)

            choice = min(shown, key=cost)
            rank = (cost(choice)[0], sum(p in hidden for p in members), *cost(choice)[1:])
            if best is None or rank < best[0]:
                best = (rank, choice)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# the audit's view: cells and relations
# ---------------------------------------------------------------------------------------------
def audit_release(cells: _Cells, hidden: set[Position]) -> lp_audit.AuditResult:
    """The audit of every period's release (relations never cross periods), combined."""
    return lp_audit.combine([audited for audited, _ in _audit_blocks(cells, hidden, {}).values()])


def _audit_blocks(cells: _Cells, hidden: set[Position], previous: Mapping) -> dict:
    """period -> (audit result, the hidden cells it saw); a period whose hidden cells have not
    changed since `previous` keeps its result."""
    out = {}
    for period, (groups, per_unit) in cells.blocks().items():
        positions = {p for g in groups for p in (g.total, *g.parts)} | {p for _, ps in per_unit for p in ps}
        seen = frozenset(positions & hidden)
        if period in previous and previous[period][1] == seen:
            out[period] = previous[period]
            continue
        out[period] = (lp_audit.audit(_release_of(cells, hidden, groups, per_unit, positions),
                                      cells.protection), seen)
    return out


def _release_of(cells: _Cells, hidden: set[Position], groups, per_unit, positions) -> lp_audit.Release:
    """Every cell in a relation, shown at its value or hidden, and the relations: the sums,
    and money = rate x count where a money column declares its per-unit rate."""
    ids = _ids(cells)
    relations = [lp_audit.Relation(ids[g.total], tuple(ids[p] for p in g.parts)) for g in groups]
    relations += [relation for relation, _ in per_unit]
    audit_cells = []
    for position in positions:
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
                positions = [(name, i, column), cells.same((name, i, counts[0]))]
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


# ---------------------------------------------------------------------------------------------
# the independent check of what was written
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WrittenReleaseAudit:
    problems: tuple[str, ...]  # shown values that differ from gold, primary counts not hidden...
    audit: lp_audit.AuditResult | None

    @property
    def passed(self) -> bool:
        return not self.problems and self.audit is not None and self.audit.passed

    def metadata(self) -> dict[str, object]:
        found = dict(self.audit.metadata()) if self.audit else {}
        found["problems"] = len(self.problems)
        found["first_problems"] = "\n".join(self.problems[:10])
        if self.audit is not None:
            found["first_unprotected"] = "\n".join(str(f) for f in self.audit.unprotected[:10])
        return found


def audit_written_release(connection: duckdb.DuckDBPyConnection, declarations: Declarations | None = None,
                          rules: DisclosureRules | None = None) -> WrittenReleaseAudit:
    """Reads `external.*` back and checks it against gold on its own: every table is there with
    gold's rows, a shown value equals gold's, every count the rules hide is hidden, every figure
    built on a hidden count is hidden, and the LP audit over gold's relations passes."""
    declarations = declarations or load_declarations()
    rules = rules or load_rules()
    gold = read_tables(connection, declarations)
    released = read_tables(connection, declarations, schema=RELEASE_SCHEMA, names=tuple(gold))
    problems: list[str] = [f"external.{name}: missing" for name in gold if name not in released]
    hidden: set[Position] = set()
    for name, table in gold.items():
        if name in released:
            found, table_hidden = _compare(table, released[name], declarations.tables[name], rules)
            problems += found
            hidden |= table_hidden
    if problems:
        return WrittenReleaseAudit(tuple(problems), None)
    cells = _Cells.build(gold, declarations)
    problems += [f"{position[0]} row {position[1]}, {position[2]}: hidden here but shown as {cells.same(position)[0]}.{position[2]}"
                 for position in cells.canonical
                 if isinstance(position[1], int) and (position in hidden) != (cells.same(position) in hidden)]
    if problems:
        return WrittenReleaseAudit(tuple(problems), None)
    cells.protection = protection_of(rules)
    result = audit_release(cells, {cells.same(p) for p in hidden})
    return WrittenReleaseAudit((), result)


def _compare(gold: TableRows, released: TableRows, declaration: TableDeclaration,
             rules: DisclosureRules) -> tuple[list[str], set[Position]]:
    name = gold.name
    if len(gold.rows) != len(released.rows):
        return [f"external.{name}: {len(released.rows)} rows, gold has {len(gold.rows)}"], set()
    problems, hidden = [], set()
    structure = declaration.structure
    for i, (truth, shown) in enumerate(zip(gold.rows, released.rows)):
        where = f"external.{name} row {coordinates(truth, structure)}"
        if coordinates(truth, structure) != coordinates(shown, structure):
            problems.append(f"{where}: rows are not gold's")
            continue
        for column in gold.columns:
            role = declaration.roles.get(column)
            is_hidden = role is not None and shown.get(column + FLAG_SUFFIX) == HIDDEN
            if is_hidden:
                hidden.add((name, i, column))
                if shown.get(column) is not None:
                    problems.append(f"{where}, {column}: flagged c but a value is shown")
            elif shown.get(column) != truth.get(column):
                problems.append(f"{where}, {column}: shown value differs from gold")
            if role is not None and role.role == COUNT and rules.hides(_whole(_number(truth.get(column)))) and not is_hidden:
                problems.append(f"{where}, {column}: a count the rules hide is shown")
        for column, role in declaration.roles.items():
            for other in role.hide_with:
                if (name, i, other) in hidden and (name, i, column) not in hidden and truth.get(column) is not None:
                    problems.append(f"{where}, {column}: shown although {other} (hide_with) is hidden")
            if role.role in FLAGGED_ROLES and role.role != COUNT and column in gold.columns:
                bases = _count_bases(declaration, column)
                if any((name, i, b) in hidden for b in bases) and (name, i, column) not in hidden:
                    problems.append(f"{where}, {column}: shown although a count it is built on is hidden")
    return problems, hidden


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
