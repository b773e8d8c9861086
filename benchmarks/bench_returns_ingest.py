"""School-return ingestion with the workbook limits (guard + worker processes) against the
plain in-process reader: ``returns_ingest_s`` before and after, and the overhead.

    .venv/bin/python -m orchestration.sample_data --scale 1 --seed 42 --out /tmp/bench/landing
    .venv/bin/python benchmarks/bench_returns_ingest.py --landing /tmp/bench/landing [--repeats 5]

Each run is its own process, into a fresh DuckDB file and archive: ``ingest_school_returns``
over every workbook under ``<landing>/school_returns`` (455 at scale 1), timed from the call
to its return, so the workers' start-up is inside the time and the interpreter's is not (the
reader module is imported first in both modes). Modes alternate run by run; the medians are
compared (wall time; CPU of all processes is shown too). Target (issue 12): the limits
cost at most 5% of the wall time. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("in_process", "workers")  # before (plain reader) and after (guard + workers)
TARGET_OVERHEAD_PCT = 5.0


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the workers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_once(mode: str, landing: Path) -> dict:
    """One ingestion in this process; seconds and counts as a dict."""
    import duckdb

    from orchestration.ingest import ingest_school_returns
    from orchestration.returns import reader  # noqa: F401 - imported before timing, both modes
    from orchestration.returns.workers import InProcessReaders, ReturnReaders

    with tempfile.TemporaryDirectory(prefix="bench-returns-") as folder:
        con = duckdb.connect(str(Path(folder) / "warehouse.duckdb"))
        readers = InProcessReaders() if mode == "in_process" else ReturnReaders()
        started, started_cpu = time.perf_counter(), cpu_seconds()
        summary = ingest_school_returns(con, landing, Path(folder) / "archive", readers=readers)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - started_cpu
        con.close()
    return {"mode": mode, "seconds": seconds, "cpu_seconds": cpu,
            "files_loaded": summary.files_loaded,
            "files_quarantined": summary.files_quarantined, "rows_loaded": summary.rows_loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(args.child, args.landing)))
        return

    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for repeat in range(args.repeats):
        for mode in MODES if repeat % 2 == 0 else MODES[::-1]:
            child = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--landing", str(args.landing)],
                check=True, capture_output=True, text=True)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            runs[mode].append(result)
            print(f"  {mode:<10} {result['seconds']:7.2f} s  CPU {result['cpu_seconds']:6.2f} s"
                  f"  ({result['files_loaded']} loaded,"
                  f" {result['files_quarantined']} quarantined)", flush=True)
    counts = {mode: {k: v for k, v in runs[mode][0].items() if k.startswith(("files", "rows"))}
              for mode in MODES}
    if counts["in_process"] != counts["workers"]:
        raise SystemExit(f"the two modes loaded different things: {counts}")
    before = statistics.median(r["seconds"] for r in runs["in_process"])
    after = statistics.median(r["seconds"] for r in runs["workers"])
    overhead = (after - before) / before * 100
    cpu_before = statistics.median(r["cpu_seconds"] for r in runs["in_process"])
    cpu_after = statistics.median(r["cpu_seconds"] for r in runs["workers"])
    figures = {"returns_ingest_s_before": round(before, 3), "returns_ingest_s_after": round(after, 3),
               "overhead_pct": round(overhead, 1), "target_overhead_pct": TARGET_OVERHEAD_PCT,
               "cpu_s_before": round(cpu_before, 3), "cpu_s_after": round(cpu_after, 3),
               "repeats": args.repeats, **counts["workers"],
               "runs": {mode: [round(r["seconds"], 3) for r in runs[mode]] for mode in MODES}}
    print(f"returns_ingest_s before (in-process reader): {before:.2f} s (median of "
          f"{args.repeats})")
    print(f"returns_ingest_s after (guard + workers):    {after:.2f} s")
    print(f"overhead: {overhead:+.1f}% (target <= {TARGET_OVERHEAD_PCT:g}%)")
    print(f"CPU, all processes: {cpu_before:.2f} s before, {cpu_after:.2f} s after "
          f"({(cpu_after - cpu_before) / cpu_before * 100:+.1f}%: the workers' start-up, the "
          "guard and passing results back)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))  # last line: read by benchmarks/run.py


if __name__ == "__main__":
    main()
