"""The one declaration of disclosure control, read from dbt's manifest.

Every numeric column of every gold model declares its disclosure role in the model's yml
(`config: meta: disclosure:`), and every gold model declares its additive structure at model
level. This module reads them into typed dataclasses and validates them; docs/DISCLOSURE.md
describes the vocabulary. Plain Python: no dbt import, no Dagster.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.dbt_manifest import table_model_nodes
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
RULES_PATH = SEEDS_DIR / "ref_disclosure_rules.csv"
GOLD = "gold"

COUNT = "count"
DERIVED = "derived"
MONEY_REVEALS_COUNT = "money_reveals_count"
RATE = "rate"
NOT_ABOUT_PEOPLE = "not_about_people"
PUBLISHED_ELSEWHERE = "published_elsewhere"
ROLES = frozenset({COUNT, DERIVED, MONEY_REVEALS_COUNT, RATE, NOT_ABOUT_PEOPLE, PUBLISHED_ELSEWHERE})
# roles whose cells can be hidden: each gets a `<column>_flag` in the release
FLAGGED_ROLES = frozenset({COUNT, DERIVED, RATE, MONEY_REVEALS_COUNT})
# the gold tables that leave the council (as the release, external.*), in report order
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
# roles computed from other columns, and the keys that name those columns
ROLES_WITH_BASES = frozenset({DERIVED, MONEY_REVEALS_COUNT})
COLUMN_KEYS = frozenset({"role", "bases", "numerator", "denominator", "per_unit", "source", "same_as", "hide_with", "note"})
# a rate or a mean is never summed: these roles cannot be additive
NEVER_ADDITIVE = frozenset({RATE, PUBLISHED_ELSEWHERE})
TABLE_KEYS = frozenset({"levels", "categories", "additive", "row_sums", "group_sums", "note"})
LEVEL_KEYS = frozenset({"column", "key", "hierarchy", "parent_key", "period"})
CATEGORY_KEYS = frozenset({"column", "total", "total_from_level", "partition_by"})

# DuckDB type names (information_schema.columns.data_type) that hold numbers
NUMERIC_TYPE_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL", "NUMERIC", "INT",
)


class DeclarationError(ValueError):
    """The declarations are incomplete or inconsistent; `problems` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} disclosure declaration problem(s):\n" + "\n".join(problems))


@dataclass(frozen=True)
class ColumnRole:
    """The disclosure role of one column: how it must be treated when its table leaves the
    council. `bases` (derived, money_reveals_count) or `numerator`/`denominator` (rate) name
    the columns of the same table it is computed from; it is hidden whenever one of them is."""

    table: str
    column: str
    role: str
    bases: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    per_unit: str | None = None
    source: str | None = None
    same_as: str | None = None  # "table.column": the same count published in another gold table
    # counts of this table a reader would take this count for (a school's own count of the
    # pupils beside Synergy's): it is hidden wherever one of them is
    hide_with: tuple[str, ...] = ()

    @property
    def hidden_with(self) -> tuple[str, ...]:
        """The columns whose hiding hides this one."""
        if self.role == RATE:
            return tuple(c for c in (self.numerator, self.denominator) if c)
        return self.bases

    @property
    def primary_suppression(self) -> bool:
        """True for counts of children and young people (hidden at 1-4 on their own)."""
        return self.role == COUNT


@dataclass(frozen=True)
class Category:
    """A category column of a table. `total` is its 'All' member (None: no total row, the
    categories only partition the level's people, within `partition_by` when given);
    `total_from_level` is the lowest level that has total rows."""

    column: str
    total: str | None = None
    total_from_level: str | None = None
    partition_by: str | None = None


@dataclass(frozen=True)
class RowSum:
    """Within one row: total = sum(parts)."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class GroupSum:
    """Across rows: `total` (repeated on each row of a group) = sum of `parts` over the rows
    that differ only in `over`."""

    total: str
    parts: str
    over: str


@dataclass(frozen=True)
class TableStructure:
    """A gold table's additive structure: its levels (each level's rows sum to the level after
    it in `hierarchy`, grouped by the child's `parent_key` column; None = every row of the
    level sums to the one row above), its category columns and which columns add up."""

    table: str
    level_column: str
    level_key: str
    hierarchy: tuple[str, ...]
    parent_key: Mapping[str, str | None]
    period: str
    categories: tuple[Category, ...] = ()
    additive: tuple[str, ...] = ()
    row_sums: tuple[RowSum, ...] = ()
    group_sums: tuple[GroupSum, ...] = ()

    def parent_level(self, level: str) -> str | None:
        position = self.hierarchy.index(level)
        return self.hierarchy[position + 1] if position + 1 < len(self.hierarchy) else None

    def levels_with_total(self, category: Category) -> tuple[str, ...]:
        if category.total is None:
            return ()
        start = self.hierarchy.index(category.total_from_level or self.hierarchy[0])
        return self.hierarchy[start:]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the structure names."""
        named = [self.level_column, self.level_key, self.period, *self.additive]
        named += [key for key in self.parent_key.values() if key]
        for category in self.categories:
            named += [category.column] + ([category.partition_by] if category.partition_by else [])
        for row_sum in self.row_sums:
            named += [row_sum.total, *row_sum.parts]
        for group_sum in self.group_sums:
            named += [group_sum.total, group_sum.parts, group_sum.over]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class TableDeclaration:
    name: str
    column_names: tuple[str, ...]
    roles: Mapping[str, ColumnRole]
    structure: TableStructure


@dataclass(frozen=True)
class Declarations:
    tables: Mapping[str, TableDeclaration] = field(default_factory=dict)

    def role(self, table: str, column: str) -> ColumnRole | None:
        return self.tables[table].roles.get(column)

    def count_bases(self, table: str, column: str) -> tuple[str, ...]:
        """The counts a column is hidden with, following bases through derived columns (a
        count is its own base; a column about no one has none)."""
        roles = self.tables[table].roles
        found: list[str] = []
        pending, seen = [column], set()
        while pending:
            name = pending.pop()
            if name in seen or name not in roles:
                continue
            seen.add(name)
            if roles[name].role == COUNT:
                found.append(name)
            pending.extend(roles[name].hidden_with)
        return tuple(sorted(found))


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds of primary suppression and of the protection an audit demands (seed
    ref_disclosure_rules)."""

    smallest_count_shown: int
    zero_shown: bool
    protection_lower: int
    protection_upper: int

    def hides(self, count: int | None) -> bool:
        """Primary suppression of one count."""
        if count is None:
            return False
        if count == 0:
            return not self.zero_shown
        return count < self.smallest_count_shown

    def protects(self, low: float, high: float) -> bool:
        """A hidden count's feasible interval [low, high] protects it when it includes
        `protection_lower` (0) or reaches `protection_upper` (5)."""
        return low <= self.protection_lower or high >= self.protection_upper


def load_rules(path: Path = RULES_PATH, rule_set: str = "default") -> DisclosureRules:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["rule_set"] == rule_set:
                return DisclosureRules(
                    smallest_count_shown=int(row["smallest_count_shown"]),
                    zero_shown=row["zero_shown"].strip().lower() == "true",
                    protection_lower=int(row["protection_lower"]),
                    protection_upper=int(row["protection_upper"]),
                )
    raise DeclarationError([f"{path.name}: no rule_set '{rule_set}'"])


def load_declarations(manifest_path: Path = MANIFEST_PATH, schema: str = GOLD) -> Declarations:
    """Every gold model's declarations from the manifest, validated (DeclarationError lists
    every problem)."""
    nodes = table_model_nodes(manifest_path, schema)
    if not nodes:
        raise DeclarationError([f"{Path(manifest_path).name}: no models in schema '{schema}' (run dbt parse)"])
    problems: list[str] = []
    tables = {}
    for name, node in sorted(nodes.items()):
        table_meta, column_metas = node_disclosure(node)
        found = validate_table(name, table_meta, column_metas, list(node.get("columns") or {}))
        problems += found
        if not found:
            tables[name] = table_declaration(name, table_meta, column_metas, list(node["columns"]))
    problems += same_as_problems(tables, invalid=set(nodes) - set(tables))
    if problems:
        raise DeclarationError(problems)
    return Declarations(tables)


def same_as_problems(tables: Mapping[str, TableDeclaration], invalid: Iterable[str] = ()) -> list[str]:
    """A `same_as` must name a count column of another declared gold table (one whose own
    declarations failed is reported on its own)."""
    problems = []
    for name, table in tables.items():
        for column, role in table.roles.items():
            if role.same_as is None:
                continue
            other, _, other_column = role.same_as.partition(".")
            if other in invalid:
                continue
            target = tables.get(other)
            if other == name or target is None or getattr(target.roles.get(other_column), "role", None) != COUNT:
                problems.append(f"{name}.{column}: same_as {role.same_as!r} is not a count column of another gold table")
    return problems


def node_disclosure(node: Mapping) -> tuple[dict | None, dict[str, dict]]:
    """The model's and each declared column's `disclosure` meta (config.meta first, as dbt
    1.10+ writes it; the top-level meta of older projects otherwise)."""
    table_meta = meta_of(node).get("disclosure")
    columns = {
        name: meta_of(column)["disclosure"]
        for name, column in (node.get("columns") or {}).items()
        if "disclosure" in meta_of(column)
    }
    return table_meta, columns


def meta_of(entry: Mapping) -> dict:
    return (entry.get("config") or {}).get("meta") or entry.get("meta") or {}


def validate_table(table: str, table_meta: Mapping | None, column_metas: Mapping[str, Mapping],
                   column_names: Iterable[str]) -> list[str]:
    """Problems with one table's declarations: unknown roles or keys, bases that are not
    declared columns of the table, rates without numerator or denominator, circular bases, a
    missing or inconsistent structure."""
    columns = set(column_names)
    problems = []
    for column, meta in column_metas.items():
        problems += [f"{table}.{column}: {p}" for p in column_problems(column, meta, columns, column_metas)]
    problems += [f"{table}.{column}: bases are circular" for column in circular_columns(column_metas)]
    problems += [f"{table} (model): {p}" for p in structure_problems(table_meta, columns, column_metas)]
    return problems


def column_problems(column: str, meta: Mapping, columns: set[str], declared: Mapping[str, Mapping]) -> list[str]:
    if not isinstance(meta, Mapping):
        return ["disclosure must be a mapping with a role"]
    role = meta.get("role")
    problems = []
    if column not in columns:
        problems.append("declared but not a column of the table")
    if not isinstance(role, str) or role not in ROLES:
        problems.append(f"unknown role {role!r} (roles: {', '.join(sorted(ROLES))})")
    if unknown := sorted(set(meta) - COLUMN_KEYS):
        problems.append(f"unknown keys {unknown}")
    bases = list(meta.get("bases") or [])
    if role in ROLES_WITH_BASES and not bases:
        problems.append(f"role {role} needs bases (the columns it is computed from)")
    elif role not in ROLES_WITH_BASES and bases:
        problems.append("bases belong to roles derived and money_reveals_count")
    if meta.get("per_unit") and role != MONEY_REVEALS_COUNT:
        problems.append("per_unit belongs to role money_reveals_count")
    if role == RATE:
        problems += [f"rate needs a {key}" for key in ("numerator", "denominator") if not meta.get(key)]
        bases += [meta[key] for key in ("numerator", "denominator") if meta.get(key)]
    elif meta.get("numerator") or meta.get("denominator"):
        problems.append("numerator/denominator belong to role rate")
    if meta.get("per_unit"):
        bases.append(meta["per_unit"])
    for base in bases:
        if base == column:
            problems.append("is its own base")
        elif base not in columns:
            problems.append(f"base {base!r} is not a column of the table")
        elif base not in declared:
            problems.append(f"base {base!r} has no disclosure role")
    same_as = meta.get("same_as")
    if same_as is not None and (role != COUNT or not isinstance(same_as, str) or same_as.count(".") != 1):
        problems.append("same_as belongs to role count and names another table's column as table.column")
    for other in meta.get("hide_with") or ():
        if role != COUNT or other not in columns or (declared.get(other) or {}).get("role") != COUNT:
            problems.append(f"hide_with {other!r}: belongs to role count and names a count column of the table")
    if role == PUBLISHED_ELSEWHERE and not meta.get("source"):
        problems.append("published_elsewhere needs a source")
    return problems


def circular_columns(column_metas: Mapping[str, Mapping]) -> list[str]:
    """Columns whose bases lead back to themselves."""
    def depends_on(start: str) -> set[str]:
        reached, pending = set(), list(bases_of(column_metas.get(start)))
        while pending:
            name = pending.pop()
            if name not in reached:
                reached.add(name)
                pending += bases_of(column_metas.get(name))
        return reached

    return sorted(column for column in column_metas if column in depends_on(column))


def bases_of(meta: Mapping | None) -> list[str]:
    if not isinstance(meta, Mapping):
        return []
    named = [*(meta.get("bases") or []), meta.get("numerator"), meta.get("denominator")]
    return [name for name in named if name]


def structure_problems(meta: Mapping | None, columns: set[str], roles: Mapping[str, Mapping]) -> list[str]:
    if not isinstance(meta, Mapping) or not meta:
        return ["no model-level disclosure (additive structure) declared"]
    problems = [f"unknown keys {sorted(set(meta) - TABLE_KEYS)}"] if set(meta) - TABLE_KEYS else []
    levels = meta.get("levels")
    if not isinstance(levels, Mapping) or not levels.get("hierarchy"):
        return problems + ["levels needs column, key, hierarchy, parent_key and period"]
    if unknown := sorted(set(levels) - LEVEL_KEYS):
        problems.append(f"unknown level keys {unknown}")
    hierarchy = list(levels["hierarchy"])
    parent_key = levels.get("parent_key") or {}
    if sorted(parent_key) != sorted(hierarchy[:-1]):
        problems.append(f"parent_key must name the parent column of every level but the last ({hierarchy[:-1]})")
    named = [levels.get("column"), levels.get("key"), levels.get("period"), *[k for k in parent_key.values() if k]]
    for category in meta.get("categories") or []:
        if unknown := sorted(set(category) - CATEGORY_KEYS):
            problems.append(f"unknown category keys {unknown}")
        named += [category.get("column")] + ([category["partition_by"]] if category.get("partition_by") else [])
        if category.get("total") is not None and category.get("total_from_level") not in hierarchy:
            problems.append(f"category {category.get('column')}: total_from_level must be one of {hierarchy}")
    for column in meta.get("additive") or []:
        named.append(column)
        role = (roles.get(column) or {}).get("role")
        if role is None and column in columns:
            problems.append(f"additive column {column!r} has no disclosure role")
        elif role in NEVER_ADDITIVE:
            problems.append(f"additive column {column!r} has role {role}, which never adds up")
    for row_sum in meta.get("row_sums") or []:
        named += [row_sum.get("total"), *(row_sum.get("parts") or [])]
    for group_sum in meta.get("group_sums") or []:
        named += [group_sum.get("total"), group_sum.get("parts"), group_sum.get("over")]
    problems += [f"structure names {name!r}, not a column of the table"
                 for name in dict.fromkeys(named) if name not in columns]
    return problems


def table_declaration(name: str, table_meta: Mapping, column_metas: Mapping[str, Mapping],
                      column_names: list[str]) -> TableDeclaration:
    roles = {
        column: ColumnRole(
            table=name, column=column, role=meta["role"], bases=tuple(meta.get("bases") or ()),
            numerator=meta.get("numerator"), denominator=meta.get("denominator"),
            per_unit=meta.get("per_unit"), source=meta.get("source"), same_as=meta.get("same_as"),
            hide_with=tuple(meta.get("hide_with") or ()),
        )
        for column, meta in column_metas.items()
    }
    levels = table_meta["levels"]
    structure = TableStructure(
        table=name,
        level_column=levels["column"],
        level_key=levels["key"],
        hierarchy=tuple(levels["hierarchy"]),
        parent_key=dict(levels["parent_key"]),
        period=levels["period"],
        categories=tuple(Category(**category) for category in table_meta.get("categories") or ()),
        additive=tuple(table_meta.get("additive") or ()),
        row_sums=tuple(RowSum(s["total"], tuple(s["parts"])) for s in table_meta.get("row_sums") or ()),
        group_sums=tuple(GroupSum(**s) for s in table_meta.get("group_sums") or ()),
    )
    return TableDeclaration(name, tuple(column_names), roles, structure)


def is_numeric_type(data_type: str) -> bool:
    return data_type.upper().startswith(NUMERIC_TYPE_PREFIXES)


def undeclared_numeric_columns(declarations: Declarations,
                               column_types: Mapping[str, Mapping[str, str]]) -> list[str]:
    """`table.column (type)` of every numeric column of a built table (column_types: table ->
    column -> SQL type) without a disclosure role, and of every built table without
    declarations."""
    missing = []
    for table, types in sorted(column_types.items()):
        declared = declarations.tables.get(table)
        for column, data_type in types.items():
            if is_numeric_type(data_type) and (declared is None or column not in declared.roles):
                missing.append(f"{table}.{column} ({data_type})")
    return missing


def warehouse_column_types(connection, schema: str = GOLD) -> dict[str, dict[str, str]]:
    """table -> column -> data_type of a built warehouse's schema (a DuckDB connection)."""
    rows = connection.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall()
    types: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        types.setdefault(table, {})[column] = data_type
    return types
