"""dbt layers (issue 14 item 9): only staging models read sources (bronze); helpers that are
neither silver entities nor gold tables are ephemeral int_* models in models/intermediate;
staging models are named stg_<source>__<entity>.

Read from a manifest parsed now from the working tree (not the one `make install` left), so
a source() added anywhere, directly or through a macro, fails here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR

STAGING_NAME = re.compile(r"^stg_[a-z0-9]+(?:_[a-z0-9]+)*__[a-z0-9]+(?:_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> list[dict]:
    target = tmp_path_factory.mktemp("dbt_target")
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--profiles-dir", ".", "--target-path", str(target), "--no-partial-parse"],
        cwd=DBT_PROJECT_DIR, check=True, capture_output=True, timeout=600,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def folder(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]  # models/<folder>/...


def test_only_staging_models_read_sources(models):
    readers = {
        node["name"]: sorted(d for d in node["depends_on"]["nodes"] if d.startswith("source."))
        for node in models
        if folder(node) != "staging"
    }
    assert {name: sources for name, sources in readers.items() if sources} == {}
    assert len(readers) > 20  # silver and gold models were seen


def test_staging_models_are_named_by_source_and_entity(models):
    staging = [n["name"] for n in models if folder(n) == "staging"]
    assert "stg_srp__register" in staging
    assert [name for name in staging if not STAGING_NAME.match(name)] == []


def test_helpers_are_ephemeral_int_models_in_intermediate(models):
    ephemeral_outside_staging = {
        n["name"]: folder(n)
        for n in models
        if n["config"]["materialized"] == "ephemeral" and folder(n) != "staging"
    }
    assert "int_srp_census_pupil_phases" in ephemeral_outside_staging
    assert {name: where for name, where in ephemeral_outside_staging.items()
            if where != "intermediate" or not name.startswith("int_")} == {}
    intermediate = [n["name"] for n in models if folder(n) == "intermediate"]
    assert all(n.startswith("int_") for n in intermediate)
    assert all(n["config"]["materialized"] == "ephemeral" for n in models if folder(n) == "intermediate")
