"""Latency of typical BI queries on the published file, opened read-only as a BI tool would:
on a kept connection (p50/p95 of the query alone) and with the connect time included (a fresh
connection per query)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb

LATEST_YEAR = "(select max(academic_year) from gold.srp_places)"
ALL = "phase = 'All' and designation = 'All'"

SRP_PLACES_QUERIES = {
    "county places by year": (
        "select academic_year, commissioned_places, pupils_on_roll, occupancy_pct "
        f"from gold.srp_places where level = 'county' and {ALL} order by academic_year"
    ),
    "districts, latest year": (
        "select district, commissioned_places, pupils_on_roll, vacancies, over_subscription "
        f"from gold.srp_places where level = 'district' and {ALL} "
        f"and academic_year = {LATEST_YEAR} order by district"
    ),
    "one school's history": (
        "select academic_year, designation, commissioned_places, pupils_on_roll "
        "from gold.srp_places where level = 'school' and level_key = "
        "(select min(level_key) from gold.srp_places where level = 'school') "
        "order by academic_year, designation"
    ),
    "county by designation": (
        "select academic_year, designation, sum(commissioned_places), sum(pupils_on_roll) "
        "from gold.srp_places where level = 'county' and phase = 'All' and designation <> 'All' "
        "group by all order by all"
    ),
    "most over-subscribed schools": (
        "select level_key, school_name, designation, over_subscription from gold.srp_places "
        f"where level = 'school' and academic_year = {LATEST_YEAR} "
        "order by over_subscription desc, level_key limit 10"
    ),
    "areas, external (disclosure-controlled)": (
        "select area, academic_year, pupils_on_roll, pupils_on_roll_flag from external.srp_places "
        f"where level = 'area' and {ALL} order by area, academic_year"
    ),
}


def representative_queries(con: duckdb.DuckDBPyConnection, limit: int = 10) -> dict[str, str]:
    """The srp_places queries, then one county-level (or first 100 rows) read of every other gold
    table, up to ``limit`` queries."""
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'gold' order by 1"
    ).fetchall()]
    queries = dict(SRP_PLACES_QUERIES) if "srp_places" in tables else {}
    for table in tables:
        if len(queries) >= limit:
            break
        if table == "srp_places":
            continue
        columns = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'gold' "
            "and table_name = ?", [table]).fetchall()}
        where = " where level = 'county'" if "level" in columns else ""
        queries[f"{table}{' county' if where else ''}"] = f'select * from gold."{table}"{where} limit 100'
    return queries


def measure(database: Path, repetitions: int = 200) -> dict:
    started = time.perf_counter()
    con = duckdb.connect(str(database), read_only=True)
    connect_ms = (time.perf_counter() - started) * 1000
    try:
        queries = representative_queries(con)
        per_query, every = {}, []
        for name, sql in queries.items():
            con.execute(sql).fetchall()  # warm: BI tools keep a connection open
            times = []
            for _ in range(repetitions):
                mark = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - mark) * 1000)
            per_query[name] = {"p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95)}
            every += times
    finally:
        con.close()
    with_connect = connect_and_query(database, queries, max(20, repetitions // 10))
    return {
        "connect_ms": round(connect_ms, 2),
        "connect_and_query_p50_ms": _pct(with_connect, 50),
        "connect_and_query_p95_ms": _pct(with_connect, 95),
        "connect_and_query_samples": len(with_connect),
        "queries": len(per_query),
        "repetitions": repetitions,
        "p50_ms": _pct(every, 50),
        "p95_ms": _pct(every, 95),
        "per_query": per_query,
    }


def connect_and_query(database: Path, queries: dict[str, str], connections: int) -> list[float]:
    """Milliseconds from opening a read-only connection to the end of one query's result, for
    each query over `connections` fresh connections: what a BI tool that connects per
    dashboard load waits (the file's pages are in the OS cache after the first)."""
    times = []
    for _ in range(connections):
        for sql in queries.values():
            mark = time.perf_counter()
            con = duckdb.connect(str(database), read_only=True)
            try:
                con.execute(sql).fetchall()
            finally:
                con.close()
            times.append((time.perf_counter() - mark) * 1000)
    return times


def _pct(values: list[float], percentile: int) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[percentile - 1], 3)
