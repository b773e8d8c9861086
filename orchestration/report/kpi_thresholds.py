"""The RAG thresholds of the SRP performance indicators, as the warehouse holds them (seed
ref_kpi_thresholds, schema ``reference``: the table gold.srp_kpis grades its figures with),
shown beside the indicators so a status never needs its colour to be read. No threshold is
written here: a change to the seed changes the statuses and this table together."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.report.disclosure import text_cell
from orchestration.report.model import Column, HtmlTable, TableRow

SCHEMA, TABLE = "reference", "ref_kpi_thresholds"
HIGHER = "higher"  # a higher value is better (the seed's direction column)


@dataclass(frozen=True)
class KpiThreshold:
    kpi: str  # the gold.srp_kpis column it grades
    direction: str  # 'higher' or 'lower' is better
    green_from: float
    amber_from: float


def load_kpi_thresholds(con: duckdb.DuckDBPyConnection) -> tuple[KpiThreshold, ...]:
    """Every threshold row of the warehouse, or none when the seed is not loaded."""
    present = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, TABLE],
    ).fetchall()[0][0]
    if not present:
        return ()
    rows = con.execute(
        f'select kpi, direction, green_from, amber_from from "{SCHEMA}"."{TABLE}" order by kpi'
    ).fetchall()
    return tuple(KpiThreshold(k, d, float(g), float(a)) for k, d, g, a in rows)


def _number(kpi: str, value: float) -> str:
    return f"{value:g}%" if kpi.endswith("_pct") else f"{value:g}"


def bands(threshold: KpiThreshold) -> tuple[str, str, str]:
    """(Green, Amber, Red) in words, as gold.srp_kpis applies them (macro rag_status)."""
    green = _number(threshold.kpi, threshold.green_from)
    amber = _number(threshold.kpi, threshold.amber_from)
    if threshold.direction == HIGHER:
        return f"{green} or more", f"{amber} to under {green}", f"under {amber}"
    return (green if threshold.green_from == 0 else f"{green} or less",
            f"over {green} up to {amber}", f"over {amber}")


def thresholds_table(
    thresholds: tuple[KpiThreshold, ...], labels: dict[str, str]
) -> HtmlTable | None:
    """One row per indicator the section shows (``labels``: column -> label, in order)."""
    by_kpi = {t.kpi: t for t in thresholds}
    rows = [
        TableRow([text_cell(label)] + [text_cell(b) for b in bands(by_kpi[kpi])])
        for kpi, label in labels.items()
        if kpi in by_kpi
    ]
    if not rows:
        return None
    return HtmlTable(
        [Column("Indicator", False), Column("Green", False), Column("Amber", False),
         Column("Red", False)],
        rows,
        "RAG thresholds (reference data, reference.ref_kpi_thresholds); Overall is the worst "
        "status of the indicators that have a figure",
    )
