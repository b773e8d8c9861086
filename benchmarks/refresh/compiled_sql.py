"""dbt's compiled SQL run straight in one DuckDB connection: the reference tables (dbt seeds)
copied from a built warehouse, every model in dependency order, then every test's query.
Shared by the unorchestrated run and the floor (benchmarks/refresh/unorchestrated.py, floor.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Callable

import duckdb

REFERENCE = "reference"


def models_in_build_order(manifest: dict) -> list[dict]:
    """Table/view models after everything they read; ephemeral models are inlined by dbt, so a
    model depends on what its ephemeral inputs read."""
    nodes = manifest["nodes"]
    models = {k: n for k, n in nodes.items() if n["resource_type"] == "model"}
    built = {k for k, n in models.items() if n["config"]["materialized"] != "ephemeral"}

    def inputs(key: str) -> set[str]:
        found = set()
        for dep in models[key]["depends_on"]["nodes"]:
            if dep in built:
                found.add(dep)
            elif dep in models:
                found |= inputs(dep)
        return found

    ordered, done = [], set()
    pending = sorted(built)
    while pending:
        ready = [k for k in pending if inputs(k) <= done]
        if not ready:
            raise ValueError(f"dependency cycle among {pending}")
        for key in ready:
            ordered.append(models[key])
            done.add(key)
        pending = [k for k in pending if k not in done]
    return ordered


def tests(manifest: dict) -> list[dict]:
    return sorted(
        (n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("compiled_code")),
        key=lambda n: n["unique_id"],
    )


def copy_reference(con: duckdb.DuckDBPyConnection, reference_from) -> None:
    """Reference tables (dbt seeds, a few KB) from an already built warehouse."""
    con.execute(f"attach '{reference_from}' as built (read_only)")
    con.execute(f"create schema if not exists {REFERENCE}")
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'built' "
        f"and table_schema = '{REFERENCE}'"
    ).fetchall():
        con.execute(f'create table {REFERENCE}."{table}" as select * from built.{REFERENCE}."{table}"')
    con.execute("detach built")


def build_models_and_run_tests(con: duckdb.DuckDBPyConnection, manifest: dict) -> dict:
    """Every model from its compiled SQL, then every test's query: seconds and counts."""
    mark = time.perf_counter()
    models = models_in_build_order(manifest)
    for node in models:
        con.execute(f'create schema if not exists "{node["schema"]}"')
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        con.execute(f"create or replace {kind} {node['relation_name']} as {node['compiled_code']}")
    models_s = lap(mark)
    mark = time.perf_counter()
    failing = 0
    checks = tests(manifest)
    for node in checks:
        failing += con.execute(f"select count(*) from ({node['compiled_code']}) as t").fetchone()[0] > 0
    return {"models_s": models_s, "tests_s": lap(mark), "models": len(models), "tests": len(checks),
            "failing_tests": int(failing)}


# (connection, landing, workdir, reference_from, timings, started): fills bronze, adds timings
LoadBronze = Callable[[duckdb.DuckDBPyConnection, Path, Path, Path, dict, float], None]


def run_baseline(load_bronze: LoadBronze, landing: Path, workdir: Path, manifest: dict,
                 reference_from: Path) -> dict:
    """A fresh W/warehouse.duckdb (named like the platform's, so the compiled relation names
    "warehouse"."silver"... resolve) with the pseudonym function; ``load_bronze`` fills bronze,
    then every model and test from the compiled SQL. Seconds per part and in total."""
    from orchestration.pseudonymise import register_udf, resolve_key

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    timings: dict = {}
    started = time.perf_counter()
    con = duckdb.connect(str(workdir / "warehouse.duckdb"))
    try:
        register_udf(con, resolve_key(landing))
        load_bronze(con, landing, workdir, reference_from, timings, started)
        timings.update(build_models_and_run_tests(con, manifest))
        con.execute("checkpoint")
    finally:
        con.close()
    timings["total_s"] = lap(started)
    return timings


def baseline_main(description: str, load_bronze: LoadBronze) -> None:
    """Command line of a baseline: prints one JSON line of run_baseline's timings."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--compiled-manifest", type=Path, required=True)
    parser.add_argument("--reference-from", type=Path, required=True)
    args = parser.parse_args()
    manifest = json.loads(args.compiled_manifest.read_text(encoding="utf-8"))
    print(json.dumps(run_baseline(load_bronze, args.landing, args.workdir, manifest,
                                  args.reference_from)))


def lap(since: float) -> float:
    return round(time.perf_counter() - since, 3)
