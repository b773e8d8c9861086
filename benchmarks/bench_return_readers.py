"""Time read_return_workbook with each engine on a realistic and a 100k-row return.

    .venv/bin/python benchmarks/bench_return_readers.py [--large-pupils 100000] \
        [--small-repeats 20] [--large-repeats 3]

Prints the median wall and CPU time per workbook and pupil rows per second for each engine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from orchestration.returns.model import example_return
from orchestration.returns.reader import ENGINES, read_return_workbook
from orchestration.returns.template import write_return_workbook


def median_seconds(path: Path, engine: str, repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds per read. CPU time is the steadier figure on a busy machine."""
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        parsed = read_return_workbook(path, engine=engine)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert not parsed.issues, parsed.issues[:3]
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-pupils", type=int, default=30)
    parser.add_argument("--large-pupils", type=int, default=100_000)
    parser.add_argument("--small-repeats", type=int, default=20)
    parser.add_argument("--large-repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        cases = []
        for label, pupils, repeats in (("realistic", args.small_pupils, args.small_repeats),
                                       ("large", args.large_pupils, args.large_repeats)):
            path = Path(folder) / f"{label}.xlsx"
            started = time.perf_counter()
            write_return_workbook(path, example_return(pupils))
            print(f"wrote {label} return ({pupils:,} pupils, {path.stat().st_size / 1e6:.2f} MB)"
                  f" in {time.perf_counter() - started:.1f} s")
            cases.append((label, pupils, repeats, path))

        print()
        print(f"{'workbook':<10} {'pupils':>8} {'engine':<9} {'runs':>4} "
              f"{'median ms':>10} {'CPU ms':>10} {'rows/s':>10}")
        for label, pupils, repeats, path in cases:
            for engine in ENGINES:
                wall, cpu = median_seconds(path, engine, repeats)
                print(f"{label:<10} {pupils:>8,} {engine:<9} {repeats:>4} "
                      f"{wall * 1000:>10.1f} {cpu * 1000:>10.1f} {pupils / wall:>10,.0f}")


if __name__ == "__main__":
    main()
