"""Does a built table keep the additive structure it declares? (docs/DISCLOSURE.md)

For one relation in DuckDB and its TableStructure, lists every place where a declared sum does
not hold: an 'All' row against the sum of its parts at the same level, a level's rows against
the row of the level above, a row's declared total against its parts. A NULL counts as 0 on
both sides (a roll-up over nothing is NULL or missing). Messages name the table, the rule, the
level, the row's keys and the column: never a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orchestration.disclosure.declarations import Category, GroupSum, TableStructure


@dataclass(frozen=True)
class Mismatch:
    table: str
    rule: str
    column: str
    keys: tuple
    expected: float | None
    found: float | None

    def __str__(self) -> str:
        return (f"{self.table}: {self.rule}, {self.column} at {self.keys}: "
                f"parts sum to {self.expected}, total is {self.found}")


def structure_mismatches(connection, relation: str, structure: TableStructure) -> list[Mismatch]:
    """Every declared sum that does not hold in `relation` (e.g. 'gold.srp_places')."""
    found = []
    for category in structure.categories:
        for level in structure.levels_with_total(category):
            found += total_row_mismatches(connection, relation, structure, category, level)
    for child in structure.hierarchy[:-1]:
        found += level_mismatches(connection, relation, structure, child)
    for row_sum in structure.row_sums:
        found += row_sum_mismatches(connection, relation, structure, row_sum.total, row_sum.parts)
    for group_sum in structure.group_sums:
        found += group_sum_mismatches(connection, relation, structure, group_sum)
    return found


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def not_total(categories: Iterable[Category]) -> str:
    """SQL: the row is a cell of every category with a total (not an 'All' row)."""
    conditions = [f"{quote(c.column)} <> {literal(c.total)}" for c in categories if c.total is not None]
    return " and ".join(conditions) or "true"


def compare(connection, structure: TableStructure, rule: str, keys: list[str],
            parts_sql: str, totals_sql: str) -> list[Mismatch]:
    """Full outer join of the parts' sums and the totals on `keys`, one Mismatch per additive
    column that differs (missing rows count as 0)."""
    columns = structure.additive
    differs = " or ".join(
        f"coalesce(p.{quote(c)}, 0) <> coalesce(t.{quote(c)}, 0)" for c in columns
    )
    key_list = ", ".join(quote(k) for k in keys)
    selected = ", ".join(
        f"coalesce(p.{quote(c)}, 0) as {quote('p_' + c)}, coalesce(t.{quote(c)}, 0) as {quote('t_' + c)}"
        for c in columns
    )
    sql = (
        f"with parts as ({parts_sql}), totals as ({totals_sql}) "
        f"select {', '.join(f'coalesce(p.{quote(k)}, t.{quote(k)})' for k in keys)}, {selected} "
        f"from parts as p full outer join totals as t using ({key_list}) "
        f"where {differs} order by all"
    )
    mismatches = []
    for row in connection.execute(sql).fetchall():
        row_keys, values = tuple(row[: len(keys)]), row[len(keys):]
        for i, column in enumerate(columns):
            expected, total = values[2 * i], values[2 * i + 1]
            if expected != total:
                mismatches.append(Mismatch(structure.table, rule, column, row_keys, expected, total))
    return mismatches


def sums(columns: Iterable[str]) -> str:
    return ", ".join(f"sum(coalesce({quote(c)}, 0)) as {quote(c)}" for c in columns)


def total_row_mismatches(connection, relation: str, structure: TableStructure,
                         category: Category, level: str) -> list[Mismatch]:
    """At `level`, each row whose `category` is its total equals the sum of the rows that
    differ from it only in that category (the other categories as they are, 'All' included)."""
    others = [c.column for c in structure.categories if c.column != category.column]
    keys = [structure.level_key, structure.period, *others]
    key_sql = ", ".join(quote(k) for k in keys)
    level_filter = f"{quote(structure.level_column)} = {literal(level)}"
    column = quote(category.column)
    parts_sql = (
        f"select {key_sql}, {sums(structure.additive)} from {relation} "
        f"where {level_filter} and {column} <> {literal(category.total)} group by all"
    )
    totals_sql = (
        f"select {key_sql}, {', '.join(quote(c) for c in structure.additive)} from {relation} "
        f"where {level_filter} and {column} = {literal(category.total)}"
    )
    rule = f"{category.column} {category.total!r} = sum of its parts at level {level}"
    return compare(connection, structure, rule, keys, parts_sql, totals_sql)


def level_mismatches(connection, relation: str, structure: TableStructure, child: str) -> list[Mismatch]:
    """The cells (no 'All' member) of `child` rows, summed by their parent, equal the cells of
    the parent level's rows. A parent row whose partition (e.g. a caseload dimension) the child
    level does not break down at all is left out."""
    parent = structure.parent_level(child)
    parent_key = structure.parent_key[child]
    categories = [c.column for c in structure.categories]
    categories += [c.partition_by for c in structure.categories if c.partition_by]
    key_columns = ", ".join(quote(k) for k in [structure.period, *categories])
    keys = (["parent"] if parent_key else []) + [structure.period, *categories]
    level = quote(structure.level_column)
    cells = not_total(structure.categories)
    parent_select = (f"{quote(structure.level_key)} as parent, " if parent_key else "") + key_columns
    child_select = (f"{quote(parent_key)} as parent, " if parent_key else "") + key_columns
    partitions = [c.partition_by for c in structure.categories if c.partition_by]
    broken_down = " and ".join(
        f"{quote(p)} in (select {quote(p)} from {relation} where {level} = {literal(child)})"
        for p in partitions
    ) or "true"
    parts_sql = (
        f"select {child_select}, {sums(structure.additive)} from {relation} "
        f"where {level} = {literal(child)} and {cells} group by all"
    )
    totals_sql = (
        f"select {parent_select}, {', '.join(quote(c) for c in structure.additive)} from {relation} "
        f"where {level} = {literal(parent)} and {cells} and {broken_down}"
    )
    rule = f"level {child} sums to level {parent}"
    return compare(connection, structure, rule, keys, parts_sql, totals_sql)


def row_sum_mismatches(connection, relation: str, structure: TableStructure, total: str,
                       parts: tuple[str, ...]) -> list[Mismatch]:
    """Within every row: total = sum(parts)."""
    keys = [structure.level_column, structure.level_key, structure.period,
            *[c.column for c in structure.categories],
            *[c.partition_by for c in structure.categories if c.partition_by]]
    part_sum = " + ".join(f"coalesce({quote(p)}, 0)" for p in parts)
    sql = (
        f"select {', '.join(quote(k) for k in keys)}, {part_sum}, coalesce({quote(total)}, 0) "
        f"from {relation} where {part_sum} <> coalesce({quote(total)}, 0) order by all"
    )
    rule = f"{total} = {' + '.join(parts)} in every row"
    return [
        Mismatch(structure.table, rule, total, tuple(row[: len(keys)]), row[-2], row[-1])
        for row in connection.execute(sql).fetchall()
    ]


def group_sum_mismatches(connection, relation: str, structure: TableStructure,
                         group_sum: GroupSum) -> list[Mismatch]:
    """In every group of rows that differ only in `over`, the total repeated on each row is one
    value and equals the sum of the parts."""
    keys = [structure.level_column, structure.level_key, structure.period,
            *[c.partition_by for c in structure.categories if c.partition_by],
            *[c.column for c in structure.categories if c.column != group_sum.over]]
    key_sql = ", ".join(quote(k) for k in dict.fromkeys(keys))
    total, parts = quote(group_sum.total), quote(group_sum.parts)
    sql = (
        f"select {key_sql}, sum(coalesce({parts}, 0)), max(coalesce({total}, 0)) from {relation} "
        f"group by all having min(coalesce({total}, 0)) <> max(coalesce({total}, 0)) "
        f"or sum(coalesce({parts}, 0)) <> max(coalesce({total}, 0)) order by all"
    )
    rule = f"{group_sum.total} = sum of {group_sum.parts} over {group_sum.over}"
    return [
        Mismatch(structure.table, rule, group_sum.total, tuple(row[:-2]), row[-2], row[-1])
        for row in connection.execute(sql).fetchall()
    ]
