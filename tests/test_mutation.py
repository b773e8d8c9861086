"""The curated mutants of the dbt SQL (tests/mutation/mutants.py) stay usable, and the exactness
tests kill every one of them (slow: `make mutate` runs the same script)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.mutation import mutate
from tests.mutation.mutants import MUTANTS, SURVIVORS, Mutant

REPO = Path(__file__).resolve().parent.parent


def test_every_original_text_occurs_exactly_once_in_its_file():
    assert mutate.problems() == []


def test_at_least_twenty_mutants_including_the_census_day_boundaries():
    assert len(MUTANTS) >= 20
    assert Mutant("macros/parsing.sql", "{{ leaving_date }} > {{ at_date }}))",
                  "{{ leaving_date }} >= {{ at_date }}))", MUTANTS[0].why) in MUTANTS
    assert any(m.file == "models/silver/silver_census_state.sql"
               and m.original == "p.cease_date > y.census_date"
               and m.replacement == "p.cease_date >= y.census_date" for m in MUTANTS)


def test_survivors_are_kept_out_of_the_curated_list_and_stay_applicable():
    assert not {mutant for mutant, _ in SURVIVORS} & set(MUTANTS)
    assert mutate.problems(tuple(mutant for mutant, _ in SURVIVORS)) == []
    assert all(reason.strip() for _, reason in SURVIVORS)


def test_every_mutant_runs_existing_exactness_tests():
    for mutant in MUTANTS:
        tests = mutate.tests_for(mutant)
        assert tests and all((REPO / test).is_file() for test in tests), mutant


def test_problems_name_a_text_that_moved_or_repeats(tmp_path):
    sql = tmp_path / "dbt_project" / "models" / "m.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("select a from t where a > 1 and b > 1\n")
    repeated = Mutant("models/m.sql", " > 1", " >= 1", "boundary")
    missing = Mutant("models/m.sql", "c < 2", "c <= 2", "boundary")
    assert mutate.problems((repeated,), root=tmp_path) == [
        "mutant 1: ' > 1' occurs 2 times in models/m.sql (must be exactly once)"]
    assert mutate.problems((missing,), root=tmp_path) == [
        "mutant 1: 'c < 2' occurs 0 times in models/m.sql (must be exactly once)"]


def test_a_mutant_changes_the_scratch_copy_only(tmp_path):
    mutant = MUTANTS[0]
    real = REPO / "dbt_project" / mutant.file
    before = real.read_text()
    mutate.copy_repository(tmp_path)
    mutate.apply(mutant, tmp_path)
    mutated = (tmp_path / "dbt_project" / mutant.file).read_text()
    assert mutated == before.replace(mutant.original, mutant.replacement) != before
    assert real.read_text() == before
    assert (tmp_path / "orchestration" / "settings.py").is_file()
    assert (tmp_path / "tests" / "test_census_day_boundaries.py").is_file()


def test_an_exactness_test_passes_in_the_unmutated_scratch_copy(tmp_path):
    """The small version of the slow run below: a copy that lacks a file the platform reads
    (the council configuration once) fails every mutant's tests, so the score means nothing."""
    mutate.copy_repository(tmp_path)
    census_day = "tests/test_census_day_boundaries.py::test_srp_placement_entry_and_leaving_on_census_day"
    assert mutate.run_tests(tmp_path, (census_day,)) == 0


def test_a_failing_test_in_the_scratch_copy_is_a_kill_not_a_broken_run(tmp_path):
    """The suite's own options run tests on xdist workers, where -x stops a run at its first
    failure as 'interrupted' (exit code 2, which ``is_killed`` refuses): the mutants' runs must
    end with 1 when a test fails."""
    mutate.copy_repository(tmp_path)
    (tmp_path / "tests" / "test_fails_here.py").write_text(
        "def test_a_mutant_would_fail_this():\n    assert False\n\n\n"
        "def test_another():\n    pass\n")
    assert mutate.run_tests(tmp_path, ("tests/test_fails_here.py",)) == 1


def test_only_a_failing_test_run_kills_a_mutant():
    assert mutate.is_killed(1) and not mutate.is_killed(0)
    for broken_run in (2, 3, 4, 5):  # interrupted, internal error, usage error, no tests
        with pytest.raises(RuntimeError):
            mutate.is_killed(broken_run)


@pytest.mark.slow
def test_the_exactness_tests_kill_every_curated_mutant():
    result = subprocess.run([sys.executable, "-m", "tests.mutation.mutate"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
    assert f"mutation score: {len(MUTANTS)}/{len(MUTANTS)} killed (100%)" in result.stdout
