"""Unreadable school returns still in the landing folder (silver.silver_unreadable_returns),
as the metadata of the warning check that names them to the data team (and in alerts)."""

from __future__ import annotations

import duckdb

from orchestration.alerts.messages import RETURN_FILES_KEY

TABLE = "silver.silver_unreadable_returns"
FILES_NAMED = 10  # the alert names at most this many; the table lists them all


def unreadable_returns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    """(source_file, urn or None) of each unreadable return, by file."""
    return con.execute(f"select source_file, urn from {TABLE} order by source_file").fetchall()


def check_metadata(returns: list[tuple[str, str | None]]) -> dict[str, int | str]:
    """Counts, and the first FILES_NAMED files as one "; "-separated text."""
    metadata: dict[str, int | str] = {
        "unreadable_returns": len(returns),
        "unreadable_returns_no_school": sum(urn is None for _, urn in returns),
    }
    if returns:
        metadata[RETURN_FILES_KEY] = "; ".join(name for name, _ in returns[:FILES_NAMED])
    return metadata
