"""The lower bound of a full refresh: the same work in ONE DuckDB process, no orchestration.

    python benchmarks/refresh/lower_bound.py --landing L --workdir W \
        --compiled-manifest T/manifest.json --reference-from built/warehouse.duckdb

Ingests every source with orchestration.ingest into W/warehouse.duckdb (the file is named like
the platform's, so dbt's compiled relation names "warehouse"."silver"... resolve), builds every
dbt model from its compiled SQL in dependency order, then runs every dbt test's SQL. Reference
tables (dbt seeds, a few KB) are copied from an already built warehouse rather than re-parsed.
Great Expectations suites are not run. Prints one JSON line of timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

from orchestration import ingest
from orchestration.pseudonymise import register_udf, resolve_key

SOURCES = (
    ingest.ingest_synergy, ingest.ingest_gias, ingest.ingest_srp_register,
    ingest.ingest_school_returns, ingest.ingest_dfe,
)
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


def run(landing: Path, workdir: Path, manifest: dict, reference_from: Path) -> dict:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    timings = {}
    started = time.perf_counter()
    con = duckdb.connect(str(workdir / "warehouse.duckdb"))
    try:
        register_udf(con, resolve_key(landing))
        ingest.ensure_bronze_schema(con)
        for source in SOURCES:
            source(con, landing, workdir / "archive")
        timings["ingest_s"] = _lap(started)

        mark = time.perf_counter()
        con.execute(f"attach '{reference_from}' as built (read_only)")
        con.execute(f"create schema if not exists {REFERENCE}")
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'built' "
            f"and table_schema = '{REFERENCE}'"
        ).fetchall():
            con.execute(f'create table {REFERENCE}."{table}" as select * from built.{REFERENCE}."{table}"')
        con.execute("detach built")
        timings["reference_s"] = _lap(mark)

        mark = time.perf_counter()
        models = models_in_build_order(manifest)
        for node in models:
            con.execute(f'create schema if not exists "{node["schema"]}"')
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"create or replace {kind} {node['relation_name']} as {node['compiled_code']}")
        timings["models_s"] = _lap(mark)

        mark = time.perf_counter()
        failing = 0
        checks = tests(manifest)
        for node in checks:
            failing += con.execute(f"select count(*) from ({node['compiled_code']}) as t").fetchone()[0] > 0
        timings["tests_s"] = _lap(mark)
        con.execute("checkpoint")
    finally:
        con.close()
    timings.update(total_s=_lap(started), models=len(models), tests=len(checks), failing_tests=int(failing))
    return timings


def _lap(since: float) -> float:
    return round(time.perf_counter() - since, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--compiled-manifest", type=Path, required=True)
    parser.add_argument("--reference-from", type=Path, required=True)
    args = parser.parse_args()
    manifest = json.loads(args.compiled_manifest.read_text(encoding="utf-8"))
    print(json.dumps(run(args.landing, args.workdir, manifest, args.reference_from)))


if __name__ == "__main__":
    main()
