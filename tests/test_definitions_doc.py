"""docs/DEFINITIONS.md (issue 14 item 11): the platform's own definitions of every measure of
the gold tables and the report, and no reference in the repository to a document that is not
in it (the definitions once pointed at two documents that never were)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

DEFINITIONS = REPO_ROOT / "docs" / "DEFINITIONS.md"
DFE_COLUMN = re.compile(r"^dfe_(?:la|region|england)_(.+)$")
# Terms a reader looks up (the report's vocabulary), each with its own heading.
HEADINGS = (
    "Academic year", "Census day", "Within 12 months (annual reviews)", "EHCP holder",
    "On roll at a date", "SRP pupil (pupils on roll)", "Designation", "SEN units",
    "Ceased plan with an open SRP placement", "NC year and phase", "Requests", "Plans issued",
    "Timeliness (20 weeks)", "Annual reviews within 12 months", "DfE comparators",
    "Council funding", "Envelope", "Reconciliation", "Disclosure roles",
)


@pytest.fixture(scope="module")
def text() -> str:
    return DEFINITIONS.read_text(encoding="utf-8")


def gold_measures() -> dict[str, list[str]]:
    """Every gold column that declares a disclosure role (the numeric measures), by table."""
    measures: dict[str, list[str]] = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "gold").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for column in model.get("columns", []):
                meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
                if (meta.get("disclosure") or {}).get("role"):
                    measures.setdefault(model["name"], []).append(column["name"])
    return measures


def named_as(column: str) -> str:
    """How the page names a column: DfE comparators once for the three geographies."""
    match = DFE_COLUMN.match(column)
    return f"dfe_<geography>_{match.group(1)}" if match else column


def test_every_term_has_its_heading(text):
    headings = set(re.findall(r"^#{2,4} (.+)$", text, flags=re.MULTILINE))
    assert [h for h in HEADINGS if h not in headings] == []


def test_every_gold_measure_is_defined(text):
    measures = gold_measures()
    assert len(measures) >= 10 and sum(map(len, measures.values())) > 150
    named = set(re.findall(r"`([^`]+)`", text))
    missing = {table: [c for c in columns if named_as(c) not in named and
                       not (c.endswith("_rag") and c.removesuffix("_rag") in named
                            and "<kpi>_rag" in named)]
               for table, columns in measures.items()}
    assert {table: columns for table, columns in missing.items() if columns} == {}


def test_every_gold_table_has_its_section(text):
    for table in gold_measures():
        assert f"`{table}`" in text, table


def test_disclosure_roles_point_to_the_disclosure_doc(text):
    section = text.split("## Disclosure roles", 1)[1]
    assert "[DISCLOSURE.md](DISCLOSURE.md)" in section
    assert (DEFINITIONS.parent / "DISCLOSURE.md").is_file()


def test_no_reference_to_a_document_outside_the_repository():
    """Every markdown file named in tracked code, models and docs exists in the repository."""
    files = subprocess.run(["git", "ls-files", "*.py", "*.sql", "*.yml", "*.md", "*.html",
                            "*.j2", "Makefile"], cwd=REPO_ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    from orchestration.publish.definitions import DICTIONARY_MD

    tracked = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    # documents in the repository, and the one the platform writes beside the published file
    present = {Path(p).name for p in tracked} | {DICTIONARY_MD}
    dangling = []
    for name in files:
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        for reference in re.findall(r"[\w./-]*\w\.md\b(?!\()", path.read_text(errors="ignore")):
            if reference.rsplit("/", 1)[-1] not in present:
                dangling.append(f"{name}: {reference}")
    assert sorted(set(dangling)) == []
    assert "DEFINITIONS.md" in present


@pytest.mark.parametrize("path", [
    "README.md",
    "dbt_project/macros/definitions.sql",  # the shared date rules
    "dbt_project/macros/parsing.sql",  # on roll at a date
    "dbt_project/macros/srp_gold.sql",  # census years covered
    "dbt_project/models/silver/silver_srp_census_pupils.sql",  # who is an SRP pupil
])
def test_the_rules_point_to_the_definitions(path):
    assert "DEFINITIONS.md" in (REPO_ROOT / path).read_text(encoding="utf-8")
