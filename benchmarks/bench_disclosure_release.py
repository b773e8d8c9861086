"""Times the disclosure release on a built warehouse: the engine's decision and write
(`release_s`) and the blocking check's independent audit of what was written
(`disclosure_audit_s`), on a copy so the warehouse is untouched. Prints figures, asserts nothing;
the last line is JSON for benchmarks/run.py.

    .venv/bin/python benchmarks/bench_disclosure_release.py --warehouse data/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orchestration.disclosure.release import audit_written_release, write_release  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, copy)
        with duckdb.connect(str(copy)) as con:
            started = time.perf_counter()
            summary = write_release(con)
            release_s = time.perf_counter() - started
            started = time.perf_counter()
            written = audit_written_release(con)
            audit_s = time.perf_counter() - started
    result = {
        "release_s": round(release_s, 2),
        "disclosure_audit_s": round(audit_s, 2),
        "passed": written.passed,
        "cells_published": summary.cells_published,
        "cells_hidden": summary.cells_hidden,
        "counts_hidden_primary": summary.primary,
        "counts_hidden_secondary": summary.secondary,
        "repair_rounds": summary.repairs,
        **{k: written.audit.metadata()[k] for k in ("relations_checked", "components", "lps_solved")},
    }
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
