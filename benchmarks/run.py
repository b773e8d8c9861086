"""Benchmarks of the nightly refresh at council and national scale.

    .venv/bin/python benchmarks/run.py --scale 1 [--scale 25] [--quick] [--out data/bench]

For each scale, in data/bench/scale-<S>/ (sample data generated once, seed 42):

1. full refresh from an empty warehouse (`python -m orchestration.run_all --only refresh`: the
   nightly refresh job, bronze to report and publication), then the school outbox job that
   follows it (`--only outbox`: every template and feedback workbook written), timed apart;
2. two baselines over the same landing folder, each in one DuckDB process, and the full
   refresh's ratio to each: **unorchestrated** (benchmarks/refresh/unorchestrated.py: the
   platform's own Python ingestion + dbt's compiled SQL of models and tests; formerly mislabelled
   "lower bound") and the **floor** (benchmarks/refresh/floor.py: DuckDB's read_csv of the raw
   landed files + the same compiled SQL). The full refresh, both baselines and the BI queries
   are measured --runs times (default 3): median and range, every run kept;
3. a no-change rerun;
4. new Synergy nights identical to the last one: one warm-up night (the first rebuild after
   the full refresh), then --unchanged-nights more (default 3): time, and warehouse growth per
   night after the warm-up, after CHECKPOINT, as % of one night's CSV size;
5. a new Synergy night with a few rows changed;
6. one asset (gold/srp_places) materialised from the Dagster UI as its button does, through
   GraphQL against `make ui`'s processes, launch to success (benchmarks/bench_ui_single_asset.py);
7. p50/p95 latency of typical BI queries on the published file, read-only.

Every step runs as a child process: wall seconds, peak RSS (os.wait4, largest process) and the
sampled peak of the whole process tree (see benchmarks/refresh/measure.py). Per-stage seconds
come from the Dagster run's step events. Results go to data/bench/results.json (one object per
scale, replacing earlier results of the same scale), and each run's results, without logs, to
benchmarks/results/<measured at>-scale-<S>.json (small; committed, so README figures can be
checked: a ratio divides figures of one file). A table is printed. Cache state: warm (the
landing files were just generated or read by the previous run; nothing drops the OS page
cache, which would need root and slow everyone else's processes).
Targets are reported, never asserted. Run on a quiet machine: figures on a shared one are noise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from refresh import bi_queries, landing, stages
from refresh.measure import Measurement, run_measured

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUICK_SCALE = 0.02
SEED = 42
CHANGED_ROWS = 5
PLATFORM_VARS = ("SEND_DATA_ROOT", "SEND_LANDING_DIR", "SEND_ARCHIVE_DIR", "SEND_WAREHOUSE_PATH",
                 "SEND_PUBLISHED_DIR", "SEND_REPORT_DIR", "SEND_OUTBOX_DIR", "SEND_PSEUDONYM_KEY",
                 "DAGSTER_HOME")
STATE = ("warehouse.duckdb", "warehouse.duckdb.wal", "archive", "dagster_home", "published",
         "report", "outbox", "unorchestrated", "floor", "dbt_compile", "logs")
RUN_STATE = ("warehouse.duckdb", "warehouse.duckdb.wal", "archive", "dagster_home", "published",
             "report", "outbox")  # removed before each full refresh from an empty warehouse
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
CACHE_STATE = ("warm: landing files read by the previous step (generation or the previous run); "
               "the OS page cache is never dropped")

# (metric, scale it applies to or None for every scale, limit): reported, not asserted.
TARGETS = [
    ("full_refresh_s", 1, 60), ("nochange_refresh_s", 1, 20), ("peak_rss_mb", 1, 2048),
    ("full_refresh_s", 25, 600), ("peak_rss_mb", 25, 6144), ("ratio_to_unorchestrated", 25, 1.5),
    ("storage_growth_unchanged_night_pct", None, 1.0), ("bi_query_p95_ms", None, 50),
    ("returns_limits_overhead_pct", 1, 5.0), ("disclosure_audit_s", 1, 30), ("disclosure_audit_s", 25, 300),
    ("ui_single_asset_run_s", 1, 8),
]
# (metric, scale or None, minimum): figures that must reach a floor, e.g. a throughput.
MIN_TARGETS = [("sen2_xml_ingest_mb_s", None, 50)]
SEN2_PERSONS_AT_SCALE_1 = 20_000  # about Kent's SEN2 return (persons with a request or a plan)


def scale_label(scale: float) -> str:
    return f"{scale:g}"


def bench_scale(scale: float, out: Path, repetitions: int, unchanged_nights: int, runs_each: int = 3) -> dict:
    folder = out / f"scale-{scale_label(scale)}"
    land = folder / "landing"
    logs = folder / "logs"
    for name in STATE:
        _remove(folder / name)
    env = _platform_env(folder, land)
    steps: list[Measurement] = []

    def step(name: str, argv: list[str], cwd: Path = REPO_ROOT, extra_env: dict | None = None) -> Measurement:
        print(f"  {name} ...", flush=True)
        measured = run_measured(name, argv, env={**env, **(extra_env or {})}, cwd=cwd,
                                log=logs / f"{name}.log")
        notes = [] if measured.ok else [f"exit {measured.returncode}, see {measured.log}"]
        if measured.leftover_processes:
            notes.append(f"{len(measured.leftover_processes)} processes left behind, ended")
        print(f"  {name}: {measured.wall_s:.1f} s, peak RSS {measured.peak_rss_mb:.0f} MB"
              + "".join(f"  ({note})" for note in notes), flush=True)
        steps.append(measured)
        return measured

    generated = None
    if landing.has_sample(land, scale, SEED):
        landing.remove_added_nights(land)
    else:
        generated = step("generate", [PYTHON, "-m", "orchestration.sample_data", "--scale", str(scale),
                                      "--seed", str(SEED), "--out", str(land)])
    runs: dict[str, dict | None] = {}

    def refresh(name: str) -> Measurement:
        measured = step(f"{name}_refresh", [PYTHON, "-m", "orchestration.run_all", "--only", "refresh"])
        runs[name] = _latest_refresh(folder, measured)
        return measured

    def outbox(name: str) -> Measurement:
        return step(f"{name}_outbox", [PYTHON, "-m", "orchestration.run_all", "--only", "outbox"])

    fulls = []
    for number in range(1, runs_each + 1):
        for name in RUN_STATE:
            _remove(folder / name)
        fulls.append(refresh("full" if number == runs_each else f"full_{number}"))
    full = fulls[-1]
    full_outbox = outbox("full")
    # The baselines over the same landing folder, each in one process.
    manifest = _compile_dbt(folder, land, env, step)

    def baseline(name: str) -> list[Measurement]:
        return [step(f"{name}_{number}", [
            PYTHON, str(REPO_ROOT / f"benchmarks/refresh/{name}.py"), "--landing", str(land),
            "--workdir", str(folder / name), "--compiled-manifest", str(manifest),
            "--reference-from", str(folder / "warehouse.duckdb")]) for number in range(1, runs_each + 1)]

    unorchestrated = baseline("unorchestrated")
    floor = baseline("floor")
    # School-return ingestion with the workbook limits (guard + workers) and without.
    returns = step("returns_ingest", [PYTHON, str(REPO_ROOT / "benchmarks/bench_returns_ingest.py"),
                                      "--landing", str(land), "--repeats", "3" if scale <= 1 else "1"])
    returns_detail = _last_json_line(returns.log) if returns.ok else None
    # The disclosure release on the full refresh's warehouse: the engine, then the audit.
    disclosure = step("disclosure", [PYTHON, str(REPO_ROOT / "benchmarks/bench_disclosure_release.py"),
                                     "--warehouse", str(folder / "warehouse.duckdb")])
    disclosure_detail = _last_json_line(disclosure.log) if disclosure.ok else None
    nochange = refresh("nochange")
    nochange_outbox = outbox("nochange")

    # The first rebuild after the full refresh grows the file by the silver and gold tables it
    # replaces (new tables are written before the old ones' blocks are freed); later nights
    # reuse those freed blocks. That warm-up night is reported apart; growth is averaged over
    # the nights after it, as file size and as used blocks (the data's own growth).
    night = landing.add_night(land)
    warm_before, _ = _checkpointed_size(folder / "warehouse.duckdb")
    warm_up = refresh("unchanged_night_warm_up")
    before, used_before = _checkpointed_size(folder / "warehouse.duckdb")
    unchanged_walls = [warm_up.wall_s]
    for number in range(1, unchanged_nights + 1):
        night = landing.add_night(land)
        unchanged = refresh(f"unchanged_night_{number}")
        unchanged_walls.append(unchanged.wall_s)
    after, used_after = _checkpointed_size(folder / "warehouse.duckdb")
    growth = (after - before) / unchanged_nights
    used_growth = (used_after - used_before) / unchanged_nights
    night_bytes = landing.snapshot_bytes(night)

    landing.add_night(land, changed_rows=CHANGED_ROWS)
    new_snapshot = refresh("new_snapshot")

    # One asset materialised from the Dagster UI (GraphQL, as its button does), launch to success.
    ui_single = step("ui_single_asset", [PYTHON, str(REPO_ROOT / "benchmarks/bench_ui_single_asset.py"),
                                         "--folder", str(folder)])
    ui_single_detail = _last_json_line(ui_single.log) if ui_single.ok else None

    # The SEN2 XML return of a council this size, read, validated and ingested into bronze.
    sen2 = step("sen2_xml_ingest", [PYTHON, str(REPO_ROOT / "benchmarks/bench_sen2_ingest.py"),
                                    "--persons", str(max(100, round(SEN2_PERSONS_AT_SCALE_1 * scale))),
                                    "--repeats", "1"])
    sen2_detail = _last_json_line(sen2.log) if sen2.ok else None

    published = folder / "published" / "current" / "published.duckdb"
    bi_runs = [bi_queries.measure(published, repetitions) for _ in range(runs_each)] if published.exists() else []
    bi = bi_runs[-1] if bi_runs else None
    full_s = spread([m.wall_s for m in fulls])
    unorchestrated_s = spread([m.wall_s for m in unorchestrated]) if all(m.ok for m in unorchestrated) else None
    floor_s = spread([m.wall_s for m in floor]) if all(m.ok for m in floor) else None

    measured_runs = [m for m in steps
                     if m.name not in ("generate", "dbt_compile", "ui_single_asset", "sen2_xml_ingest")]
    result = {
        "scale": scale,
        "full_refresh_s": full_s["median"],
        "full_refresh_runs_s": full_s,
        "nochange_refresh_s": nochange.wall_s,
        "outbox_after_full_refresh_s": full_outbox.wall_s,
        "outbox_after_nochange_refresh_s": nochange_outbox.wall_s,
        "unchanged_night_refresh_s": round(sum(unchanged_walls) / len(unchanged_walls), 3),
        "new_snapshot_refresh_s": new_snapshot.wall_s,
        "peak_rss_mb": max(m.peak_rss_mb for m in measured_runs),
        "peak_tree_rss_mb": max(m.peak_tree_rss_mb for m in measured_runs),
        "runs_each": runs_each,
        "cache_state": CACHE_STATE,
        "unorchestrated_s": unorchestrated_s and unorchestrated_s["median"],
        "unorchestrated_runs_s": unorchestrated_s,
        "unorchestrated_detail": [_last_json_line(m.log) for m in unorchestrated if m.ok],
        "ratio_to_unorchestrated": ratio(full_s, unorchestrated_s),
        "floor_s": floor_s and floor_s["median"],
        "floor_runs_s": floor_s,
        "floor_detail": [_last_json_line(m.log) for m in floor if m.ok],
        "ratio_to_floor": ratio(full_s, floor_s),
        "returns_ingest_s_before": (returns_detail or {}).get("returns_ingest_s_before"),
        "returns_ingest_s_after": (returns_detail or {}).get("returns_ingest_s_after"),
        "returns_limits_overhead_pct": (returns_detail or {}).get("overhead_pct"),
        "returns_ingest": returns_detail,
        "disclosure_audit_s": (disclosure_detail or {}).get("disclosure_audit_s"),
        "disclosure_release_s": (disclosure_detail or {}).get("release_s"),
        "disclosure": disclosure_detail,
        "ui_single_asset_s": (ui_single_detail or {}).get("ui_single_asset_s"),
        "ui_single_asset_run_s": (ui_single_detail or {}).get("ui_single_asset_run_s"),
        "ui_single_asset": ui_single_detail,
        "sen2_xml_ingest_mb_s": (sen2_detail or {}).get("sen2_xml_ingest_mb_s"),
        "sen2_xml_ingest_peak_rss_mb": (sen2_detail or {}).get("peak_rss_mb"),
        "sen2_xml_ingest": sen2_detail,
        "storage_growth_unchanged_night_pct": round(100 * growth / night_bytes, 3),
        "storage_growth_unchanged_night_bytes": round(growth),
        "storage_growth_used_blocks_pct": round(100 * used_growth / night_bytes, 3),
        "storage_growth_used_blocks_bytes": round(used_growth),
        "unchanged_nights": unchanged_nights,
        "storage_growth_warm_up_night_bytes": before - warm_before,
        "snapshot_csv_bytes": night_bytes,
        "warehouse_bytes": (folder / "warehouse.duckdb").stat().st_size,
        "bi_query_p50_ms": spread([b["p50_ms"] for b in bi_runs])["median"] if bi else None,
        "bi_query_p95_ms": spread([b["p95_ms"] for b in bi_runs])["median"] if bi else None,
        "bi_connect_and_query_p50_ms": spread([b["connect_and_query_p50_ms"] for b in bi_runs])["median"] if bi else None,
        "bi_connect_and_query_p95_ms": spread([b["connect_and_query_p95_ms"] for b in bi_runs])["median"] if bi else None,
        "bi_query_p95_runs_ms": spread([b["p95_ms"] for b in bi_runs]) if bi else None,
        "bi_connect_and_query_p95_runs_ms": spread([b["connect_and_query_p95_ms"] for b in bi_runs]) if bi else None,
        "bi_queries": bi,
        "stages": runs,
        "refresh_runs_succeeded": {name: bool(run and run["status"] == "SUCCESS")
                                   for name, run in runs.items()},
        "runs_ok": {m.name: m.ok for m in steps},
        "steps": {m.name: {"wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb,
                           "peak_tree_rss_mb": m.peak_tree_rss_mb, "returncode": m.returncode,
                           "leftover_processes": m.leftover_processes}
                  for m in steps},
        "sample_generation_s": generated.wall_s if generated else "reused",
    }
    result["targets"] = _verdicts(result)
    return result


def spread(values: list[float]) -> dict:
    """Median and range of repeated measurements, with every value."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"median": round(median, 3), "min": ordered[0], "max": ordered[-1], "runs": list(values)}


def ratio(full: dict, baseline: dict | None) -> dict | None:
    """Full refresh / baseline: the ratio of the medians, and its range (the slowest full run
    over the fastest baseline run and the other way round), all from this one bench run."""
    if not baseline:
        return None
    return {"median": round(full["median"] / baseline["median"], 2),
            "min": round(full["min"] / baseline["max"], 2),
            "max": round(full["max"] / baseline["min"], 2)}


def _platform_env(folder: Path, land: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARS}
    env.update(SEND_DATA_ROOT=str(folder), SEND_LANDING_DIR=str(land),
               DAGSTER_HOME=str(folder / "dagster_home"))
    env["PATH"] = str(Path(PYTHON).parent) + os.pathsep + env.get("PATH", "")
    return env


def _compile_dbt(folder: Path, land: Path, env: dict, step) -> Path:
    """Compiled SQL of every model and test, with relation names of a file called
    warehouse.duckdb (as the platform's and the baselines' are)."""
    work = folder / "dbt_compile"
    work.mkdir(parents=True, exist_ok=True)
    compiled = step("dbt_compile", [str(Path(PYTHON).parent / "dbt"), "compile", "--quiet",
                                    "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
                    cwd=REPO_ROOT / "dbt_project",
                    extra_env={"SEND_WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
                               "SEND_LANDING_DIR": str(land)})
    if not compiled.ok:
        raise SystemExit(f"dbt compile failed: see {compiled.log}")
    return work / "target" / "manifest.json"


def _latest_refresh(folder: Path, measured: Measurement) -> dict | None:
    found = stages.latest_refresh(folder / "dagster_home")
    if found and found["run_s"]:
        found["start_up_s"] = round(measured.wall_s - found["run_s"], 3)
    return found


def _checkpointed_size(warehouse: Path) -> tuple[int, int]:
    """File size and bytes in used blocks, after a CHECKPOINT."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("checkpoint")
        used_blocks, block_size = con.execute(
            "select used_blocks, block_size from pragma_database_size()"
        ).fetchone()
    return warehouse.stat().st_size, used_blocks * block_size


def _last_json_line(log: str) -> dict | None:
    for line in reversed(Path(log).read_text(encoding="utf-8").splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def _verdicts(result: dict) -> list[dict]:
    verdicts = []
    for targets, at_most in ((TARGETS, True), (MIN_TARGETS, False)):
        for metric, scale, limit in targets:
            if scale is not None and result["scale"] != scale:
                continue
            value = result.get(metric)
            if isinstance(value, dict):
                value = value["median"]
            met = None if value is None else (value <= limit if at_most else value >= limit)
            verdicts.append({"metric": metric, "target": f"{'<=' if at_most else '>='} {limit:g}",
                             "value": value, "met": met})
    return verdicts


def _commit() -> str | None:
    """The code measured: the commit, with "+changes" when the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    return f"{commit}+changes" if commit and git("status", "--porcelain", "--untracked-files=no") else commit or None


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "commit": _commit(),
        "cores": os.cpu_count(),
        "memory_gb": round(total_kib / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def save(results: list[dict], path: Path) -> None:
    """Merge into results.json: a scale measured again replaces its earlier result."""
    earlier = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    scales = {r["scale"] for r in results}
    merged = sorted([r for r in earlier if r["scale"] not in scales] + results, key=lambda r: r["scale"])
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")


def save_run(result: dict) -> Path:
    """This run's results under benchmarks/results/ (committed): without the per-step logs."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = result["measured_at"].replace(":", "").replace("+0000", "Z")
    path = RESULTS_DIR / f"{stamp}-scale-{scale_label(result['scale'])}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return path


ROWS = [
    ("full refresh (s)", "full_refresh_s"), ("no-change rerun (s)", "nochange_refresh_s"),
    ("unchanged night (s)", "unchanged_night_refresh_s"), ("new snapshot (s)", "new_snapshot_refresh_s"),
    ("outbox job after the full refresh (s)", "outbox_after_full_refresh_s"),
    ("outbox job after a no-change rerun (s)", "outbox_after_nochange_refresh_s"),
    ("peak RSS, largest process (MB)", "peak_rss_mb"), ("peak RSS, process tree (MB)", "peak_tree_rss_mb"),
    ("unorchestrated, one process (s)", "unorchestrated_s"),
    ("ratio full / unorchestrated (median)", "ratio_to_unorchestrated"),
    ("floor: read_csv + SQL, one process (s)", "floor_s"), ("ratio full / floor (median)", "ratio_to_floor"),
    ("storage growth / unchanged night (%)", "storage_growth_unchanged_night_pct"),
    ("  same, used blocks only (%)", "storage_growth_used_blocks_pct"),
    ("BI query p50 (ms)", "bi_query_p50_ms"), ("BI query p95 (ms)", "bi_query_p95_ms"),
    ("BI connect + query p50 (ms)", "bi_connect_and_query_p50_ms"),
    ("BI connect + query p95 (ms)", "bi_connect_and_query_p95_ms"),
    ("disclosure release, engine (s)", "disclosure_release_s"), ("disclosure audit (s)", "disclosure_audit_s"),
    ("one asset from the UI, launch to success (s)", "ui_single_asset_s"),
    ("  same, the run itself (s)", "ui_single_asset_run_s"),
    ("SEN2 XML ingest (MB/s)", "sen2_xml_ingest_mb_s"),
    ("  same, peak RSS (MB)", "sen2_xml_ingest_peak_rss_mb"),
]


def print_table(results: list[dict]) -> None:
    print(f"{'':<38}" + "".join(f"{'scale ' + scale_label(r['scale']):>14}" for r in results)
          + "   targets")
    for label, key in ROWS:
        targets = ", ".join([f"{'S' + str(s) if s else 'all'} <= {t:g}" for m, s, t in TARGETS if m == key]
                            + [f"{'S' + str(s) if s else 'all'} >= {t:g}" for m, s, t in MIN_TARGETS if m == key])
        cells = "".join(f"{_fmt(r.get(key)):>14}" for r in results)
        print(f"{label:<38}{cells}   {targets}")
    full_runs = [r["stages"].get("full") or {} for r in results]
    for stage in stages.STAGES + ("other",):
        cells = "".join(f"{_fmt(run.get('stages', {}).get(stage)):>14}" for run in full_runs)
        print(f"{'  full refresh: ' + stage + ' (s)':<38}{cells}")
    cells = "".join(f"{_fmt(run.get('start_up_s')):>14}" for run in full_runs)
    print(f"{'  full refresh: start-up (s)':<38}{cells}")
    for r in results:
        missed = [v["metric"] for v in r["targets"] if v["met"] is False]
        failed = [name for name, ok in r["runs_ok"].items() if not ok]
        failed_runs = [name for name, ok in r["refresh_runs_succeeded"].items() if not ok]
        print(f"scale {scale_label(r['scale'])}: targets missed: {missed or 'none'}; "
              f"refresh runs that failed: {failed_runs or 'none'}; "
              f"steps with a non-zero exit: {failed or 'none'}")


def _fmt(value) -> str:
    if isinstance(value, dict):
        value = value["median"]
    if value is None:
        return "-"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append",
                        help="sample scale (1 = Kent, 25 = national); repeat for several "
                        "(default: 1 and 25)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a tiny scale ({QUICK_SCALE}) to prove the bench works")
    parser.add_argument("--repetitions", type=int, default=200, help="repetitions of each BI query")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of the full refresh, each baseline and the BI queries (>= 3: "
                        "median and range)")
    parser.add_argument("--unchanged-nights", type=int, default=3,
                        help="unchanged Synergy nights after the warm-up night to average storage "
                        "growth over (default 3)")
    default_out = Path(os.environ.get("SEND_DATA_ROOT") or REPO_ROOT / "data") / "bench"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    scales = ([QUICK_SCALE] if args.quick else []) + (args.scale or ([] if args.quick else [1, 25]))

    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"machine: {info['cores']} cores, {info['memory_gb']} GB, Python {info['python']}, "
          f"load {info['load_average_1_5_15']}")
    results = []
    for scale in scales:
        print(f"scale {scale_label(scale)} -> {args.out / ('scale-' + scale_label(scale))}", flush=True)
        result = bench_scale(scale, args.out, args.repetitions, args.unchanged_nights, args.runs)
        result["machine"] = {**info, "load_average_after": [round(x, 2) for x in os.getloadavg()]}
        result["measured_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        results.append(result)
        save([result], args.out / "results.json")
        print(f"this run's results: {save_run(result)}")
    print()
    print_table(results)
    print(f"\nresults: {args.out / 'results.json'}")
    return 0 if all(all(r["runs_ok"].values()) for r in results) else 1


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())
