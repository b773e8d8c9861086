"""The council configuration (orchestration/council.py) written into the warehouse as the
``council`` schema, which dbt declares as sources (dbt_project/models/staging/_sources.yml):
dbt reads the configured council without a seed being edited at run time."""

from __future__ import annotations

import hashlib

import duckdb

from orchestration.council import Council

SCHEMA = "council"
TABLES = {  # table: (columns with types, rows from a Council)
    "la": ("la_code varchar, la_name varchar, full_name varchar, region varchar, config_file varchar",
           lambda c: [(c.la_code, c.name, c.full_name, c.region, c.path.name)]),
    "districts": ("district_order integer, district varchar, lad_code varchar, area varchar,"
                  " pathway_review_focus boolean",
                  lambda c: [(i, d.name, d.lad_code, d.area, d.pathway_review_focus)
                             for i, d in enumerate(c.districts, start=1)]),
    "funding_envelope": ("from_academic_year varchar, envelope_gbp double, source varchar",
                         lambda c: [(e.from_academic_year, e.gbp, e.source) for e in c.funding_envelope]),
    "kpi_thresholds": ("kpi varchar, direction varchar, green_from double, amber_from double, description varchar",
                       lambda c: [(t.kpi, t.direction, t.green_from, t.amber_from, t.description)
                                  for t in c.kpi_thresholds]),
    "published_comparators": (
        "population varchar, dimension varchar, category varchar, share_pct double, period varchar,"
        " published date, source varchar",
        lambda c: [(s.population, s.dimension, s.category, s.share_pct, s.period, s.published, s.source)
                   for s in c.published_comparators]),
}


def table_rows(council: Council) -> dict[str, list[tuple]]:
    return {table: rows(council) for table, (_columns, rows) in TABLES.items()}


def write_council_tables(con: duckdb.DuckDBPyConnection, council: Council) -> dict[str, int]:
    """Replace the council.* tables with ``council``'s configuration; row counts by table."""
    con.execute(f"create schema if not exists {SCHEMA}")
    counts = {}
    for table, rows in table_rows(council).items():
        columns = TABLES[table][0]
        con.execute(f"create or replace table {SCHEMA}.{table} ({columns})")
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into {SCHEMA}.{table} values ({marks})", rows)
        counts[table] = len(rows)
    return counts


def config_version(council: Council) -> str:
    """A digest of what the tables hold: the same configuration gives the same version."""
    return hashlib.sha256(repr(table_rows(council)).encode()).hexdigest()


def tables_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the council.* tables as the warehouse holds them ('' before they exist), for
    the dbt build's inputs fingerprint (orchestration/build_state.py)."""
    digest = hashlib.sha256()
    for table in TABLES:
        try:
            rows = con.execute(f"select * from {SCHEMA}.{table} order by all").fetchall()
        except duckdb.CatalogException:
            return ""
        digest.update(f"{table}:{rows!r}".encode())
    return digest.hexdigest()


def ensure_council_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Write the configured council's tables when the warehouse has none yet (a new warehouse,
    or a test building dbt straight from bronze); the council_configuration asset replaces
    them on every refresh."""
    present = con.execute(
        "select count(*) from information_schema.tables where table_schema = ?", [SCHEMA]
    ).fetchone()[0]
    if present < len(TABLES):
        from orchestration.council import current

        write_council_tables(con, current())
