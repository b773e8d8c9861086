"""Mutation testing of the dbt SQL: `make mutate` (or `python -m tests.mutation.mutate`).

For each curated mutant (tests/mutation/mutants.py) it copies every tracked file of the
repository (3 MB: code, dbt project, seeds, council configuration...) into a scratch folder, applies the mutant there
(the real dbt files are never touched), and runs the exactness tests that cover the mutated
file against the copy: pytest runs inside the copy with the copy first on PYTHONPATH, so
orchestration.settings.DBT_PROJECT_DIR and the tests' dbt builds use the mutated project.
A mutant is killed when those tests fail. Mutants run one after the other (the machine has
two cores). It prints killed / SURVIVED and the time per mutant, then the mutation score, and
exits non-zero if any mutant survives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutation.mutants import MUTANTS, Mutant

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = "dbt_project"
TIMEOUT_SECONDS = 900  # a mutant that makes a query run away counts as killed

SRP_EXACT = "tests/test_gold_srp_exact.py"
EHCP_EXACT = "tests/test_gold_ehcp_exact.py"
PLACES_EXACT = "tests/test_gold_srp_places_exact.py"
CENSUS_DAY = "tests/test_census_day_boundaries.py"
ALL_EXACT = (CENSUS_DAY, PLACES_EXACT, EHCP_EXACT, SRP_EXACT)  # quickest killers first


def tests_for(mutant: Mutant) -> tuple[str, ...]:
    """The exactness test modules that build the mutated model (fewer modules, faster runs)."""
    if mutant.file.startswith("models/gold/ehcp/"):
        return (EHCP_EXACT,)
    if mutant.file == "models/gold/srp/srp_places.sql":
        return (PLACES_EXACT, CENSUS_DAY)
    if mutant.file.startswith("models/gold/srp/"):
        return (SRP_EXACT,)
    if mutant.file == "macros/srp_gold.sql":
        return (SRP_EXACT, PLACES_EXACT)
    return ALL_EXACT  # silver models and shared macros feed every gold table


def problems(mutants: tuple[Mutant, ...] = MUTANTS, root: Path = REPO_ROOT) -> list[str]:
    """Why the curated list is not usable as it stands (empty when it is)."""
    found = []
    for number, mutant in enumerate(mutants, 1):
        path = root / DBT_PROJECT / mutant.file
        if not path.is_file():
            found.append(f"mutant {number}: {mutant.file} does not exist")
            continue
        count = path.read_text().count(mutant.original)
        if count != 1:
            found.append(f"mutant {number}: {mutant.original!r} occurs {count} times in "
                         f"{mutant.file} (must be exactly once)")
        if mutant.replacement == mutant.original:
            found.append(f"mutant {number}: the replacement does not change anything")
        if not mutant.why.strip():
            found.append(f"mutant {number}: no reason given")
    if len(set(mutants)) != len(mutants):
        found.append("the list holds a mutant twice")
    return found


def copy_repository(destination: Path, root: Path = REPO_ROOT) -> None:
    """Every tracked file as it is in the working tree: a list of what the exactness tests
    need would miss the next folder the code comes to read (the council configuration did)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = root / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def apply(mutant: Mutant, copy: Path) -> None:
    path = copy / DBT_PROJECT / mutant.file
    text = path.read_text()
    assert text.count(mutant.original) == 1, f"{mutant.file}: {mutant.original!r} not unique"
    path.write_text(text.replace(mutant.original, mutant.replacement))


def run_tests(copy: Path, tests: tuple[str, ...]) -> int:
    """pytest's exit code for `tests` run inside `copy` (-x: the first failure is enough; in
    one process, -n 0: under xdist workers a first failure stops the run as interrupted, exit
    code 2, not 1)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(copy), *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-x", "-n", "0", "-q",
             "-p", "no:cacheprovider",
             "--basetemp", str(copy / ".pytest-tmp")],
            cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
        ).returncode
    except subprocess.TimeoutExpired:
        return 1


def is_killed(exit_code: int) -> bool:
    """pytest exit codes: 0 all passed (survived), 1 a test failed (killed); anything else
    (interrupted, internal or usage error, nothing collected) is a fault of the run itself."""
    if exit_code not in (0, 1):
        raise RuntimeError(f"pytest could not run the exactness tests (exit code {exit_code})")
    return exit_code == 1


def run_mutant(mutant: Mutant | None, tests: tuple[str, ...]) -> bool:
    """True when the tests fail on a scratch copy with `mutant` applied (None: no mutant)."""
    with tempfile.TemporaryDirectory(prefix="send-mutant-") as scratch:
        copy = Path(scratch)
        copy_repository(copy)
        if mutant is not None:
            apply(mutant, copy)
        return is_killed(run_tests(copy, tests))


def describe(mutant: Mutant) -> str:
    return f"{mutant.file}: {mutant.original.strip()} -> {mutant.replacement.strip()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", metavar="N",
                        help="run only these mutants (numbers as printed by --list)")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the check that the tests pass on the unmutated copy")
    args = parser.parse_args(argv)

    found = problems()
    if found:
        print("the curated mutant list is out of date:", *found, sep="\n  ")
        return 2
    chosen = [(n, m) for n, m in enumerate(MUTANTS, 1) if not args.only or n in args.only]
    if args.list:
        for number, mutant in chosen:
            print(f"{number:3} {describe(mutant)}  ({mutant.why})")
        return 0

    if not args.no_baseline:
        started = time.monotonic()
        if run_mutant(None, ALL_EXACT):
            print("the exactness tests fail without any mutant: fix them first")
            return 2
        print(f"baseline: the exactness tests pass unmutated ({time.monotonic() - started:.0f}s)")

    survivors = []
    for number, mutant in chosen:
        started = time.monotonic()
        killed = run_mutant(mutant, tests_for(mutant))
        status = "killed  " if killed else "SURVIVED"
        print(f"{number:3} {status} {time.monotonic() - started:5.0f}s  {describe(mutant)}",
              flush=True)
        if not killed:
            survivors.append(number)
    killed_count = len(chosen) - len(survivors)
    print(f"mutation score: {killed_count}/{len(chosen)} killed "
          f"({100.0 * killed_count / len(chosen):.0f}%)")
    if survivors:
        print("survivors (gaps in the exactness tests):", *survivors)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
