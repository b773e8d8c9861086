"""The platform's own work without orchestration: the same Python ingestion and dbt SQL, in ONE
DuckDB process (formerly called the "lower bound"; it is not one: the floor is floor.py).

    python benchmarks/refresh/unorchestrated.py --landing L --workdir W \
        --compiled-manifest T/manifest.json --reference-from built/warehouse.duckdb

Ingests every source with orchestration.ingest into W/warehouse.duckdb (the file is named like
the platform's, so dbt's compiled relation names "warehouse"."silver"... resolve), builds every
dbt model from its compiled SQL in dependency order, then runs every dbt test's SQL. Reference
tables (dbt seeds, a few KB) are copied from an already built warehouse rather than re-parsed.
Left out, unlike the full refresh: seed loading, dbt compile, the Great Expectations suites,
the disclosure release, the report and publishing. Prints one JSON line of timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

from orchestration import ingest
from orchestration.pseudonymise import register_udf, resolve_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiled_sql import build_models_and_run_tests, copy_reference, lap  # noqa: E402

SOURCES = (
    ingest.ingest_synergy, ingest.ingest_gias, ingest.ingest_srp_register,
    ingest.ingest_school_returns, ingest.ingest_dfe,
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
        timings["ingest_s"] = lap(started)
        mark = time.perf_counter()
        copy_reference(con, reference_from)
        timings["reference_s"] = lap(mark)
        timings.update(build_models_and_run_tests(con, manifest))
        con.execute("checkpoint")
    finally:
        con.close()
    timings["total_s"] = lap(started)
    return timings


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
