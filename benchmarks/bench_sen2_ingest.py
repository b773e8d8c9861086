"""Time the SEN2 XML return's ingest: reading, validating and the whole bronze load, apart.

    .venv/bin/python benchmarks/bench_sen2_ingest.py [--persons 20000] [--repeats 3]
        [--xml PATH] [--stages read,read_columns,validate,ingest,ingest_records]
        [--profile STAGE]

Writes a valid made-up return of --persons persons (orchestration/sen2/example.py, review dates
after the census moved onto it, through orchestration/sen2/writer.py: 9 records a person,
~1.56 KB; 20,000 persons = 31 MB), or
takes --xml (for instance the sample generator's return: ``python -m orchestration.sample_data
--input-format sen2-xml``), then runs each stage --repeats times in a child process of its own:

* ``read``: every record of ``iter_xml`` (the streaming reader, the reference);
* ``read_columns``: every batch of the native reader (``native_reader.column_batches``,
  orchestration/sen2/_native.c): the same return as per-module Arrow columns;
* ``validate``: ``validate`` over the batches the ingest checks (``read_batches``: 20,000
  persons a batch); only the validate calls are timed;
* ``ingest``: ``ingest_sen2`` of a landed folder into an empty warehouse (archiving,
  reading, validating, Arrow batches into bronze, registry), the figure the issue's target
  is about: the platform's own path, the native reader's columns where it is built;
* ``ingest_records``: the same with the native reader switched off (``SEND_SEN2_NATIVE=0``):
  records from ``iter_xml``, as on a machine where the extension could not be built.

The cycle collector is off in ``read`` and ``validate`` as the ingest turns it off. Each stage
reports the median wall and CPU (time.process_time) seconds, MB/s of the file over each (MB =
10^6 bytes) and its child's own peak RSS (VmHWM). CPU time is the steadier figure on a shared
machine. Prints a table, then one JSON line. --profile runs one stage under cProfile and prints
its top entries instead. Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

STAGES = ("read", "read_columns", "validate", "ingest", "ingest_records")
EXTRACT_DATE = "2025-01-30"
TARGET_MB_S = 50


def write_return(persons: int, path: Path) -> Path:
    from orchestration.sen2.example import example_return
    from orchestration.sen2.writer import write_xml

    result = example_return(persons)
    census = result.header.values["referencedate"]
    for record in result.records["active_plans"]:  # the example's reviews of later persons
        for name in ("reviewmeeting", "lastreview"):  # can fall after the census: not valid
            if (record.values.get(name) or "") > census:
                record.values[name] = census
    return write_xml(result, path)


def run_read(path: Path) -> dict:
    from orchestration.sen2.xml_reader import iter_xml

    records = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    for _ in iter_xml(path):
        records += 1
    return {"wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - started_cpu, "records": records}


def run_read_columns(path: Path) -> dict:
    from orchestration.sen2 import native_reader

    records = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    for batch in native_reader.column_batches(path):
        records += sum(table.num_rows for table in batch.values())
    return {"wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - started_cpu, "records": records}


def run_validate(path: Path) -> dict:
    from orchestration.ingest.sen2 import read_batches
    from orchestration.sen2.validate import validate

    wall = cpu = 0.0
    problems = 0
    with tempfile.TemporaryDirectory(prefix="bench-sen2-") as folder:
        os.symlink(path.resolve(), Path(folder) / path.name)  # the return alone in its folder
        for batch in read_batches(Path(folder), xml=True):
            started, started_cpu = time.perf_counter(), time.process_time()
            problems += len(validate(batch))
            wall += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
    return {"wall_s": wall, "cpu_s": cpu, "problems": problems}


def run_ingest(path: Path) -> dict:
    """The return ingested into an empty warehouse, after a warm-up ingest of a 3-person
    return in this process (the modules the ingest imports on first use; its seconds are
    ``warm_up_s``): what is timed is the cost of the file, not of starting the process."""
    with tempfile.TemporaryDirectory(prefix="bench-sen2-warm-") as temp:
        started = time.perf_counter()
        _ingest(write_return(3, Path(temp) / "warm.xml"))
        warm_up = time.perf_counter() - started
    return _ingest(path) | {"warm_up_s": round(warm_up, 3)}


def _ingest(path: Path) -> dict:
    import duckdb

    from orchestration.ingest.sen2 import ingest_sen2
    from orchestration.sen2 import native_reader

    with tempfile.TemporaryDirectory(prefix="bench-sen2-") as temp:
        landing = Path(temp) / "landing"
        folder = landing / "sen2" / EXTRACT_DATE
        folder.mkdir(parents=True)
        _place(path, folder / path.name)  # landing never follows a link: a hard link or copy
        (folder / "_SUCCESS").touch()
        with duckdb.connect(str(Path(temp) / "warehouse.duckdb")) as con:
            started, started_cpu = time.perf_counter(), time.process_time()
            ingest_sen2(con, landing, Path(temp) / "archive")
            wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            loaded, rejected, status = con.execute(
                "SELECT rows_loaded, rows_rejected, status FROM bronze.file_registry"
                " WHERE source = 'sen2'").fetchone()
    return {"wall_s": wall, "cpu_s": cpu, "rows_loaded": loaded, "rows_rejected": rejected,
            "status": status, "reader": "native" if native_reader.available() else "records"}


def _place(path: Path, target: Path) -> None:
    try:
        os.link(path, target)
    except OSError:  # another file system
        shutil.copyfile(path, target)


RUNNERS = {"read": run_read, "read_columns": run_read_columns, "validate": run_validate,
           "ingest": run_ingest, "ingest_records": run_ingest}


def child(stage: str, path: Path, profile: bool) -> None:
    """One stage in this process; its figures as one JSON line on stdout."""
    if stage == "ingest_records":
        os.environ["SEND_SEN2_NATIVE"] = "0"
    if not stage.startswith("ingest"):
        gc.disable()  # as the ingest does while a return loads
    if not profile:
        print(json.dumps(RUNNERS[stage](path) | own_peak_rss()))
        return
    import orchestration.ingest.sen2  # noqa: F401 - imports are not the stages' cost
    import orchestration.sen2.validate  # noqa: F401
    profiler = cProfile.Profile()
    profiler.enable()
    if stage.startswith("ingest"):
        profiler.disable()
        with tempfile.TemporaryDirectory(prefix="bench-sen2-warm-") as temp:
            _ingest(write_return(3, Path(temp) / "warm.xml"))
        profiler.enable()
        figures = _ingest(path)
    else:
        figures = RUNNERS[stage](path)
    profiler.disable()
    print(json.dumps(figures), file=sys.stderr)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def own_peak_rss() -> dict:
    """This process's own peak RSS (Linux VmHWM, per address space, so it starts afresh at
    exec). wait4's ru_maxrss does not: Linux carries the parent's peak across fork and exec,
    so a child of a parent that wrote a 750 MB return reported the parent's 3.1 GB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    kilobytes = next((int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmHWM:")), None)
    return {} if kilobytes is None else {"own_peak_rss_mb": kilobytes / 1024}


def measured(stage: str, path: Path) -> dict:
    """The stage in a child process: its figures and its peak RSS (its own, where the
    system says it; else wait4's, which can include the parent's)."""
    process = subprocess.Popen([sys.executable, __file__, "--child", stage, "--xml", str(path)],
                               stdout=subprocess.PIPE, cwd=REPO_ROOT)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {stage} failed")
    figures = json.loads(out.decode().strip().splitlines()[-1])
    return figures | {"peak_rss_mb": figures.pop("own_peak_rss_mb", usage.ru_maxrss / 1024)}


def summarise(runs: list[dict], size_mb: float) -> dict:
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "wall_min_s": round(min(r["wall_s"] for r in runs), 3),
            "mb_s": round(size_mb / wall, 2), "cpu_mb_s": round(size_mb / cpu, 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            "detail": {k: v for k, v in runs[-1].items()
                       if k not in ("wall_s", "cpu_s", "peak_rss_mb")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--xml", type=Path, help="an existing return instead of writing one")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--profile", choices=STAGES, help="one stage under cProfile")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.xml, profile=False)
        return
    with tempfile.TemporaryDirectory(prefix="bench-sen2-xml-") as temp:
        path = args.xml
        if path is None:
            started = time.perf_counter()
            path = write_return(args.persons, Path(temp) / "SEN2_2025_886.xml")
            print(f"wrote {args.persons:,} persons in {time.perf_counter() - started:.1f} s")
        size_mb = path.stat().st_size / 1e6
        print(f"{path.name}: {size_mb:.1f} MB")
        if args.profile:
            child(args.profile, path, profile=True)
            return
        results = {}
        for stage in args.stages.split(","):
            results[stage] = summarise([measured(stage, path) for _ in range(args.repeats)],
                                       size_mb)
    print()
    print(f"{'stage':<9} {'runs':>4} {'wall s':>8} {'CPU s':>8} {'MB/s':>7} {'CPU MB/s':>9}"
          f" {'peak RSS MB':>12}")
    for stage, r in results.items():
        print(f"{stage:<9} {args.repeats:>4} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f}"
              f" {r['mb_s']:>7.1f} {r['cpu_mb_s']:>9.1f} {r['peak_rss_mb']:>12.0f}")
    summary = {"file_mb": round(size_mb, 2), "persons": None if args.xml else args.persons,
               "target_mb_s": TARGET_MB_S, "cpus": os.cpu_count(),
               "load_average": os.getloadavg()[0]}
    names = {"ingest": "sen2_xml_ingest", "read": "sen2_xml_read", "validate": "sen2_validate",
             "read_columns": "sen2_xml_read_columns", "ingest_records": "sen2_xml_ingest_records"}
    for stage, r in results.items():
        summary |= {f"{names[stage]}_mb_s": r["mb_s"], f"{names[stage]}_cpu_mb_s": r["cpu_mb_s"],
                    f"{names[stage]}_wall_s": r["wall_s"], f"{names[stage]}_cpu_s": r["cpu_s"],
                    f"{names[stage]}_peak_rss_mb": r["peak_rss_mb"]}
    if "ingest" in results:
        summary["peak_rss_mb"] = results["ingest"]["peak_rss_mb"]
        summary["ingest_detail"] = results["ingest"]["detail"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
