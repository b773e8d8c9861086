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

import sys
import time
from pathlib import Path

import duckdb

from orchestration import ingest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiled_sql import baseline_main, copy_reference, lap  # noqa: E402

SOURCES = (
    ingest.ingest_synergy, ingest.ingest_gias, ingest.ingest_srp_register,
    ingest.ingest_school_returns, ingest.ingest_dfe,
)


def load_bronze(con, landing: Path, workdir: Path, reference_from: Path, timings: dict,
                started: float) -> None:
    ingest.ensure_bronze_schema(con)
    for source in SOURCES:
        source(con, landing, workdir / "archive")
    timings["ingest_s"] = lap(started)
    mark = time.perf_counter()
    copy_reference(con, reference_from)
    timings["reference_s"] = lap(mark)


if __name__ == "__main__":
    baseline_main(__doc__.splitlines()[0], load_bronze)
