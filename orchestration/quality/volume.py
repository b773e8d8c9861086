"""Volume change between the two latest loaded Synergy extracts: a sudden drop in the rows of
a file (e.g. an export that stopped half way) is an error that must stop gold being rebuilt.

Rows of an extract are the bronze row versions valid on its date (validity ranges), so this
costs one query per table and no full copies of snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# A file may shrink this much from one night to the next before the refresh stops. Case loads
# move by a fraction of a percent a night; a fifth gone is a broken export, not a trend.
MAX_DROP_SHARE = 0.20


@dataclass(frozen=True)
class VolumeChange:
    table: str
    latest_extract: str | None
    latest_rows: int
    previous_extract: str | None
    previous_rows: int

    @property
    def change_share(self) -> float | None:
        if not self.previous_rows:
            return None
        return (self.latest_rows - self.previous_rows) / self.previous_rows

    @property
    def passed(self) -> bool:
        change = self.change_share
        return change is None or change >= -MAX_DROP_SHARE

    def metadata(self) -> dict:
        change = self.change_share
        return {
            "latest_extract": self.latest_extract or "none",
            "latest_rows": self.latest_rows,
            "previous_extract": self.previous_extract or "none",
            "previous_rows": self.previous_rows,
            "change_pct": None if change is None else round(100 * change, 2),
            "max_drop_pct": round(100 * MAX_DROP_SHARE, 2),
        }


def rows_at(con: duckdb.DuckDBPyConnection, table: str, extract_date) -> int:
    return con.execute(
        f"select count(*) from bronze.{table} where _valid_from <= ? "
        "and (_valid_to is null or _valid_to > ?)",
        [extract_date, extract_date],
    ).fetchone()[0]


def synergy_volume_change(con: duckdb.DuckDBPyConnection, table: str) -> VolumeChange:
    dates = [
        row[0]
        for row in con.execute(
            "select extract_date from bronze.synergy_extracts where status = 'loaded' "
            "order by extract_date desc limit 2"
        ).fetchall()
    ]
    latest = dates[0] if dates else None
    previous = dates[1] if len(dates) > 1 else None
    return VolumeChange(
        table=table,
        latest_extract=str(latest) if latest else None,
        latest_rows=rows_at(con, table, latest) if latest else 0,
        previous_extract=str(previous) if previous else None,
        previous_rows=rows_at(con, table, previous) if previous else 0,
    )
