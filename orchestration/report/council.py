"""Which council the report is about: read from the warehouse it is built from (the reference
tables ref_council and ref_districts dbt built from the council configuration), so titles,
areas and districts always match the figures; the configured council (orchestration/council.py)
only when the warehouse has none yet."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration import council as configuration

SCHEMA = "reference"


@dataclass(frozen=True)
class ReportCouncil:
    name: str  # the county row's level_key and label, e.g. 'Kent'
    full_name: str  # e.g. 'Kent County Council'
    region: str  # DfE region, e.g. 'South East'
    districts: tuple[tuple[str, str], ...]  # (district, area) in configuration order

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(area for _district, area in self.districts))

    @classmethod
    def configured(cls) -> "ReportCouncil":
        c = configuration.current()
        return cls(c.name, c.full_name, c.region, tuple((d.name, d.area) for d in c.districts))


def load_report_council(con: duckdb.DuckDBPyConnection, present: set[tuple[str, str]]) -> ReportCouncil:
    if not {(SCHEMA, "ref_council"), (SCHEMA, "ref_districts")} <= present:
        return ReportCouncil.configured()
    name, full_name, region = con.execute(
        f"select la_name, full_name, region from {SCHEMA}.ref_council").fetchone()
    districts = con.execute(
        f"select district, area from {SCHEMA}.ref_districts where district_order is not null"
        " order by district_order").fetchall()
    return ReportCouncil(name, full_name, region, tuple((d, a) for d, a in districts))
