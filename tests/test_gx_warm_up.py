"""The run worker imports Great Expectations while dbt builds only when the run checks a GX suite
(orchestration/quality/gx_warm_up.py). Each case runs in a fresh interpreter: this test process
may have imported GX already."""

from __future__ import annotations

import subprocess
import sys

from orchestration.quality.gx_warm_up import runs_gx_checks
from tests.conftest import REPO_ROOT

PROBE = """
import sys
from orchestration.quality.gx_warm_up import start_warm_up
first = start_warm_up({names!r})
second = start_warm_up({names!r})
if first is not None:
    first.join()
print(first is not None, second is not None, "great_expectations" in sys.modules)
"""


def warm_up_in_fresh_process(names) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(names=names)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300, check=True)
    return result.stdout.strip()


def test_a_run_checking_a_gx_suite_imports_gx_once_in_the_background():
    assert warm_up_in_fresh_process(["not_null_srp_places_level", "gx_gold_srp_places"]) == \
        "True False True"


def test_a_run_without_gx_checks_does_not_import_gx():
    assert warm_up_in_fresh_process(["not_null_srp_places_level"]) == "False False False"


def test_which_selections_validate_a_gx_suite():
    assert runs_gx_checks(None)  # Dagster's "every check of the selected assets"
    assert runs_gx_checks(["gx_gold_srp_places"])
    assert not runs_gx_checks([])
    assert not runs_gx_checks(["unique_srp_places_key", "assert_gx_like_name"])
