"""Fast versions, in the default suite, of the slow tests that held the only coverage of scale
(issue 17 item 7); the slow ones still run with `-m slow`:

* test_sample_data.py::test_scale_one_looks_like_kent (scale 1: ~19k plans, ~£22m, the README's
  figures): the same generator at scale 0.1 gives a tenth of them, checked here;
* test_returns_reader.py::test_100k_pupil_rows and test_ingest_returns.py::
  test_100k_pupil_rows_are_read_but_over_the_ingest_limit: the reader with thousands of rows, and
  a workbook just over the ingest limit (orchestration/returns/guard.py MAX_SHEET_ROWS) read
  whole by the reader but quarantined by ingestion before any reading.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from orchestration import contract
from orchestration.returns import guard
from orchestration.returns.model import example_return
from orchestration.returns.reader import read_return_workbook
from orchestration.returns.template import write_return_workbook
from orchestration.sample_data import generate
from tests.test_ingest_returns import (  # noqa: F401 (env is a fixture)
    YEAR_DIR, env, land_return, load_errors, run, school_return, table_count,
)
from tests.test_sample_data import CENSUS_2024, active_plans, on_roll, srp_designations, synergy

TENTH = 0.1


@pytest.fixture(scope="module")
def tenth_of_kent(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tenth_of_kent")
    generate(out, scale=TENTH, seed=42, defects=False)
    return out


def test_a_tenth_of_the_scale_one_sample_is_a_tenth_of_kent(tenth_of_kent):
    """Scale 1 (README, the slow test): 19-20k active plans growing ~10% a year, 70-75% male,
    ASD 38-46% of primary needs, 90-110 SRP designations with 1,500-2,200 places, ~£22m of SRP
    funding. A tenth of each here (measured at 0.1, seed 42: 1,932 plans, 1.51x since 2020,
    71.5% male, 10 designations, 170 places, £2.12m)."""
    persons = {p["person_id"]: p for p in synergy(tenth_of_kent, "person.csv")}
    active = active_plans(tenth_of_kent, CENSUS_2024)
    assert 1900 <= len(active) <= 2000
    assert 1.3 <= len(active) / len(active_plans(tenth_of_kent, contract.census_day(2020))) <= 1.6
    assert 0.70 <= sum(persons[p["person_id"]]["sex"] == "M" for p in active) / len(active) <= 0.75
    active_ids = {p["plan_id"] for p in active}
    needs = Counter(n["sen_type"] for n in synergy(tenth_of_kent, "sen_need.csv")
                    if n["sen_type_rank"] == "1" and n["plan_id"] in active_ids)
    assert 0.38 <= needs["ASD"] / len(active) <= 0.46

    register = srp_designations(tenth_of_kent, 2024)
    assert 9 <= len(register) <= 11
    assert 150 <= sum(int(r["commissioned_places"]) for r in register) <= 220
    srp_urns = {r["urn"] for r in register}
    in_srp = [p for p in synergy(tenth_of_kent, "placement.csv")
              if p["resourced_provision_indicator"] == "Y" and p["urn"] in srp_urns
              and on_roll(p, CENSUS_2024)]
    top_up = {r["urn"]: int(r["top_up_gbp"]) for r in register}
    funding = (sum(10000 * int(r["commissioned_places"]) for r in register)
               + sum(top_up[p["urn"]] for p in in_srp))
    assert 2.0e6 <= funding <= 2.7e6  # a tenth of 20-27m


def test_thousands_of_pupil_rows_are_read(tmp_path):
    path = tmp_path / "big.xlsx"
    write_return_workbook(path, example_return(3_000))
    parsed = read_return_workbook(path)
    assert len(parsed.pupils) == 3_000
    assert parsed.issues == []


def test_a_workbook_just_over_the_ingest_limit_is_read_but_quarantined(env):
    """MAX_SHEET_ROWS pupils plus the sheet's header rows: one sheet over the limit."""
    con, landing, _ = env
    pupils = guard.MAX_SHEET_ROWS
    land_return(env, "huge.xlsx", school_return(pupils=pupils))
    assert len(read_return_workbook(landing / YEAR_DIR / "huge.xlsx").pupils) == pupils
    summary = run(env)
    assert (summary.files_quarantined, table_count(con, "return_pupils")) == (1, 0)
    assert [e["rule"] for e in load_errors(con)] == ["declared_dimension_too_large"]
