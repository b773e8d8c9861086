"""An independent check of a published release, for the end-to-end tests: every shareable gold
table has its external copy, no count of 1-4 shows, no relation has exactly one hidden cell
beside a shown total (a subtraction gives it back), and the LP audit of what was published
passes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.disclosure.declarations import COUNT, load_declarations
from orchestration.disclosure.relations import table_groups
from orchestration.disclosure.release import SHAREABLE_TABLES, audit_written_release, read_tables


def assert_release_cannot_be_undone(database: Path, least_hidden: int = 1000) -> None:
    declarations = load_declarations()
    with duckdb.connect(str(database), read_only=True) as con:
        written = audit_written_release(con)
        released = read_tables(con, declarations, schema="external")
    assert sorted(released) == sorted(SHAREABLE_TABLES)
    assert written.passed, written.metadata()
    lone_hidden, hidden = [], 0
    for name, table in released.items():
        def is_hidden(position, rows=table.rows) -> bool:
            _, row, column = position
            return not isinstance(row, int) or rows[row].get(f"{column}_flag") == "c"

        for group in table_groups(table, declarations.tables[name]):
            if not is_hidden(group.total) and sum(map(is_hidden, group.parts)) == 1:
                lone_hidden.append((name, group.rule, group.total))
        for row in table.rows:
            for column, role in declarations.tables[name].roles.items():
                value = row.get(column)
                if role.role == COUNT and isinstance(value, (int, float)):
                    assert not 0 < value < 5, (name, column)
                hidden += row.get(f"{column}_flag") == "c"
    assert lone_hidden == []
    assert hidden >= least_hidden  # the sample has small counts, so the rules were exercised
