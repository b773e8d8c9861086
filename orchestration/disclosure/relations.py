"""The additive relations between a release's cells, from each table's declared structure.

A cell is a position `(table, row, column)` in the rows of a gold table (`row` is the row's
index; a virtual whole that no table shows but a reader can compute has a tuple instead). Every
way cells add up is a `SumGroup`: the total equals the sum of the parts. The suppression engine
uses these groups to choose secondary suppressions and the audit turns the same groups into the
linear system it solves, so both work over one set of relations.

Where relations come from (docs/DISCLOSURE.md, "Additive structure"):
* levels: rows of a level sum to their parent level's row with the same period and categories;
* categories with a total ('All'): the other members sum to it, all else equal;
* categories without a total: the members within each `partition_by` value sum to a whole,
  either a column (a `group_sums` entry over the category) or a virtual whole shared by every
  partition of the level (each dimension of the caseload profile partitions the same holders);
* `row_sums` and `group_sums` as declared;
* `same_as`: a count published in another table (the same pupils on roll in srp_places and
  srp_finance) equals the sum of that table's rows at the same coordinates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from orchestration.disclosure.declarations import (
    COUNT,
    DERIVED,
    MONEY_REVEALS_COUNT,
    Category,
    TableDeclaration,
    TableStructure,
)

# roles whose cells can be hidden and add up (not_about_people cells are always shown)
HIDEABLE_ADDITIVE_ROLES = frozenset({COUNT, MONEY_REVEALS_COUNT, DERIVED})

Position = tuple[str, object, str]  # (table, row index or virtual key, column)


@dataclass(frozen=True)
class SumGroup:
    """value(total) = sum(value(part) for part in parts); `rule` says where it comes from."""

    total: Position
    parts: tuple[Position, ...]
    rule: str


@dataclass(frozen=True)
class TableRows:
    """A built gold table: its name, columns and rows as dicts of plain Python values."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]


def relation_columns(declaration: TableDeclaration) -> tuple[str, ...]:
    """The additive columns that can be hidden: the columns the relations are built for."""
    return tuple(column for column in declaration.structure.additive
                 if (role := declaration.roles.get(column)) and role.role in HIDEABLE_ADDITIVE_ROLES)


def table_groups(table: TableRows, declaration: TableDeclaration) -> list[SumGroup]:
    """Every sum relation within one table, for its hideable additive columns."""
    structure = declaration.structure
    columns = relation_columns(declaration)
    groups: list[SumGroup] = []
    groups += _level_groups(table, structure, columns)
    groups += _category_groups(table, structure, columns)
    groups += _partition_groups(table, structure, columns)
    groups += _row_sum_groups(table, structure, declaration)
    groups += _group_sum_groups(table, structure)
    groups += _whole_level_groups(table, structure, columns, declaration)
    return [group for group in groups if group.parts]


def _whole_level_groups(table: TableRows, structure: TableStructure, columns: Sequence[str],
                        declaration: TableDeclaration) -> list[SumGroup]:
    """Wholes add up over levels like rows do: a group total (holders at an age) and a
    partition's virtual whole (all holders) of each district sum to their area's."""
    groups = []
    for group_sum in structure.group_sums:
        role = declaration.roles.get(group_sum.total)
        if role is None or role.role not in HIDEABLE_ADDITIVE_ROLES:
            continue
        first = {key: members[0] for key, members in _group_rows(table, structure, group_sum.over).items()}

        def group_total(index: int, column: str, over: str = group_sum.over) -> Position:
            return (table.name, first[coordinates(table.rows[index], structure, without=[over])], column)

        groups += _level_groups(table, structure, [group_sum.total], [group_sum.over], group_total, "whole")
    for category in structure.categories:
        if category.total is not None or _has_group_total(structure, category):
            continue
        without = [category.column, category.partition_by or ""]

        def whole(index: int, column: str, category: Category = category, without: list = without) -> Position:
            return (table.name, ("whole", category.column, *coordinates(table.rows[index], structure, without)), column)

        groups += _level_groups(table, structure, columns, without, whole, "whole")
    return groups


def coordinates(row: Mapping, structure: TableStructure, without: Iterable[str] = ()) -> tuple:
    """(period, level, key, category values...) of a row, leaving out the `without` columns."""
    skip = set(without)
    names = [structure.period, structure.level_column, structure.level_key]
    names += [category.column for category in structure.categories]
    names += [category.partition_by for category in structure.categories if category.partition_by]
    return tuple(_text(row.get(name)) for name in dict.fromkeys(names) if name not in skip)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _category_values(row: Mapping, structure: TableStructure, without: Iterable[str] = ()) -> tuple:
    skip = set(without)
    names = [category.column for category in structure.categories]
    names += [category.partition_by for category in structure.categories if category.partition_by]
    return tuple(_text(row.get(name)) for name in dict.fromkeys(names) if name not in skip)


def _level_groups(table: TableRows, structure: TableStructure, columns: Sequence[str],
                  without: Sequence[str] = (), position=None, rule: str = "level") -> list[SumGroup]:
    """Each level's units, by parent and categories, sum to the parent level's unit. A unit is
    a row, or (with `without`) the rows that differ only in those columns, standing for a
    whole they share (`position(first row, column)`: a group total, a virtual whole)."""
    position = position or (lambda index, column: (table.name, index, column))
    parents: dict[tuple, int] = {}
    children: dict[tuple, dict[tuple, int]] = defaultdict(dict)
    for index, row in enumerate(table.rows):
        level = row.get(structure.level_column)
        if level not in structure.hierarchy:
            continue
        period, categories = _text(row.get(structure.period)), _category_values(row, structure, without)
        unit = (level, _text(row.get(structure.level_key)), period, categories)
        parents.setdefault(unit, index)
        parent_level = structure.parent_level(level)
        if parent_level is None:
            continue
        parent_column = structure.parent_key.get(level)
        parent_key = _text(row.get(parent_column)) if parent_column else None
        if parent_column and parent_key is None:
            continue
        children[(parent_level, parent_key, period, categories)].setdefault(unit, index)
    tops: dict[tuple, list[int]] = defaultdict(list)
    for (level, _, period, categories), index in parents.items():
        tops[(level, period, categories)].append(index)
    groups = []
    for (parent_level, parent_key, period, categories), members in children.items():
        if parent_key is None:  # the one unit of the top level
            found = tops.get((parent_level, period, categories), [])
            total = found[0] if len(found) == 1 else None
        else:
            total = parents.get((parent_level, parent_key, period, categories))
        if total is None:
            continue
        for column in columns:
            groups.append(SumGroup(position(total, column), tuple(position(i, column) for i in members.values()),
                                   f"{rule} {parent_level}"))
    return groups


def _category_groups(table: TableRows, structure: TableStructure, columns: Sequence[str]) -> list[SumGroup]:
    """A category's total member ('All') is the sum of its other members, all else equal."""
    groups = []
    for category in structure.categories:
        if category.total is None:
            continue
        levels = set(structure.levels_with_total(category))
        members: dict[tuple, list[int]] = defaultdict(list)
        totals: dict[tuple, int] = {}
        for index, row in enumerate(table.rows):
            if row.get(structure.level_column) not in levels:
                continue
            key = coordinates(row, structure, without=[category.column])
            if _text(row.get(category.column)) == category.total:
                totals[key] = index
            else:
                members[key].append(index)
        for key, total in totals.items():
            for column in columns:
                groups.append(SumGroup((table.name, total, column),
                                       tuple((table.name, i, column) for i in members.get(key, ())),
                                       f"category {category.column}"))
    return groups


def _partition_groups(table: TableRows, structure: TableStructure, columns: Sequence[str]) -> list[SumGroup]:
    """Members of a category without a total, within each partition, sum to a whole: a virtual
    one shared by every partition of the level (unless a group_sum names the whole's column)."""
    groups = []
    for category in structure.categories:
        if category.total is not None or _has_group_total(structure, category):
            continue
        partitions: dict[tuple, dict[str | None, list[int]]] = defaultdict(lambda: defaultdict(list))
        for index, row in enumerate(table.rows):
            whole = coordinates(row, structure, without=[category.column, category.partition_by or ""])
            partitions[whole][_text(row.get(category.partition_by)) if category.partition_by else None].append(index)
        for whole, by_partition in partitions.items():
            for column in columns:
                total = (table.name, ("whole", category.column, *whole), column)
                for partition, members in by_partition.items():
                    if all(table.rows[i].get(column) is None for i in members):
                        continue  # this partition does not break the column down
                    groups.append(SumGroup(total, tuple((table.name, i, column) for i in members),
                                           f"partition {category.partition_by}={partition}"))
    return groups


def _has_group_total(structure: TableStructure, category: Category) -> bool:
    return any(group_sum.over == category.column for group_sum in structure.group_sums)


def _row_sum_groups(table: TableRows, structure: TableStructure, declaration: TableDeclaration) -> list[SumGroup]:
    hideable = {c for c, role in declaration.roles.items() if role.role in HIDEABLE_ADDITIVE_ROLES}
    groups = []
    for row_sum in structure.row_sums:
        if row_sum.total not in hideable and not hideable & set(row_sum.parts):
            continue
        for index in range(len(table.rows)):
            groups.append(SumGroup((table.name, index, row_sum.total),
                                   tuple((table.name, index, part) for part in row_sum.parts),
                                   f"row sum {row_sum.total}"))
    return groups


def _group_sum_groups(table: TableRows, structure: TableStructure) -> list[SumGroup]:
    """A total repeated on every row of a group: the group's first row holds it (the others
    are the same cell, see `repeated_cells`)."""
    groups = []
    for group_sum in structure.group_sums:
        for members in _group_rows(table, structure, group_sum.over).values():
            groups.append(SumGroup((table.name, members[0], group_sum.total),
                                   tuple((table.name, i, group_sum.parts) for i in members),
                                   f"group sum {group_sum.total}"))
    return groups


def _group_rows(table: TableRows, structure: TableStructure, over: str) -> dict[tuple, list[int]]:
    rows: dict[tuple, list[int]] = defaultdict(list)
    for index, row in enumerate(table.rows):
        rows[coordinates(row, structure, without=[over])].append(index)
    return rows


def repeated_cells(table: TableRows, declaration: TableDeclaration) -> dict[Position, Position]:
    """Positions that repeat another cell (a group total on every row of its group) -> the
    position that stands for it."""
    same: dict[Position, Position] = {}
    for group_sum in declaration.structure.group_sums:
        for members in _group_rows(table, declaration.structure, group_sum.over).values():
            for index in members[1:]:
                same[(table.name, index, group_sum.total)] = (table.name, members[0], group_sum.total)
    return same


def cross_table_groups(tables: Mapping[str, TableRows], declarations: Mapping[str, TableDeclaration]) -> list[SumGroup]:
    """`same_as` columns: the cell equals the sum of the other table's rows at the same period,
    level, key and shared categories (its other categories summed over their members, or their
    total member where the other table has one)."""
    groups = []
    for name, declaration in declarations.items():
        for column, role in declaration.roles.items():
            if not role.same_as or name not in tables:
                continue
            other_name, other_column = role.same_as.split(".", 1)
            if other_name not in tables or other_name not in declarations:
                continue
            groups += _same_as_groups(tables[name], declaration, column,
                                      tables[other_name], declarations[other_name], other_column)
    return groups


def _same_as_groups(table: TableRows, declaration: TableDeclaration, column: str,
                    other: TableRows, other_declaration: TableDeclaration, other_column: str) -> list[SumGroup]:
    mine, theirs = declaration.structure, other_declaration.structure
    shared = [c.column for c in theirs.categories if c.column in {m.column for m in mine.categories}]
    extra = [c for c in theirs.categories if c.column not in shared]
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, row in enumerate(other.rows):
        key = (_text(row.get(theirs.period)), _text(row.get(theirs.level_column)), _text(row.get(theirs.level_key)),
               *(_text(row.get(c)) for c in shared))
        index[key].append(i)
    groups = []
    for i, row in enumerate(table.rows):
        key = (_text(row.get(mine.period)), _text(row.get(mine.level_column)), _text(row.get(mine.level_key)),
               *(_text(row.get(c)) for c in shared))
        candidates = index.get(key, [])
        if not candidates:
            continue
        parts = _summed_over(other.rows, candidates, extra)
        if parts:
            groups.append(SumGroup((table.name, i, column), tuple((other.name, j, other_column) for j in parts),
                                   f"same as {other.name}.{other_column}"))
    return groups


def _summed_over(rows: Sequence[Mapping], candidates: list[int], extra: Sequence[Category]) -> list[int]:
    """Of the rows matching on shared coordinates, those that add up to the cell: each extra
    category at its total member where one exists, else every member."""
    chosen = candidates
    for category in extra:
        at_total = [i for i in chosen if category.total is not None and _text(rows[i].get(category.column)) == category.total]
        chosen = at_total or [i for i in chosen if category.total is None or _text(rows[i].get(category.column)) != category.total]
    return chosen
