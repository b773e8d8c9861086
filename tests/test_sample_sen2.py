"""The sample in SEN2 form (issue 16 item 4): the same children as annual SEN2 returns, XML
and Blade, read back by orchestration/sen2's readers with no error; the postcode lookup for
every home. Built at the small scale from seed 7, as tests/conftest.py's small sample."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest

from orchestration import contract
from orchestration import council as council_config
from orchestration.sample_data import generate, geography
from orchestration.sample_data.children import CaseLoad
from orchestration.sample_data.scenario import Scenario
from orchestration.sample_data.schools import build_register
from orchestration.sample_data.srps import build_srps
from orchestration.sen2 import spec
from orchestration.sen2.blade import read_blade
from orchestration.sen2.validate import validate
from orchestration.sen2.xml_reader import read_xml
from tests.conftest import SMALL_SCALE

SEED = 7
CENSUS = {2024: dt.date(2024, 1, 18), 2025: dt.date(2025, 1, 16)}  # third Thursdays of January
EXTRACTS = {2024: "2024-02-01", 2025: "2025-01-30"}  # a fortnight after each census


@pytest.fixture(scope="module")
def landings(tmp_path_factory) -> dict[str, Path]:
    """The small sample written in each SEN2 format."""
    roots = {}
    for input_format in ("sen2-xml", "sen2-blade"):
        roots[input_format] = tmp_path_factory.mktemp(input_format)
        generate(roots[input_format], scale=SMALL_SCALE, seed=SEED, defects=False,
                 input_format=input_format)
    return roots


@pytest.fixture(scope="module")
def returns(landings) -> dict[str, dict[int, object]]:
    """Each format's returns read back, by collection year."""
    read = {"sen2-xml": lambda folder: read_xml(next(folder.glob("*.xml"))),
            "sen2-blade": read_blade}
    result = {}
    for input_format, root in landings.items():
        folders = sorted((root / "sen2").iterdir())
        assert [f.name for f in folders] == [EXTRACTS[2024], EXTRACTS[2025]]
        assert all((f / "_SUCCESS").exists() for f in folders)
        result[input_format] = {int(r.header.values["year"]): r
                                for r in (read[input_format](f) for f in folders)}
    return result


@pytest.fixture(scope="module")
def children():
    """The generator's children, straight from the simulation (not from any written file)."""
    scenario = Scenario(seed=SEED, scale=SMALL_SCALE, defects=False)
    schools = build_register(scenario)
    return list(CaseLoad(scenario, schools, build_srps(scenario, schools)).records())


def test_one_return_per_census_reads_back_without_an_error(returns):
    for by_year in returns.values():
        assert sorted(by_year) == [2024, 2025]
        for year, result in by_year.items():
            header = result.header.values
            assert header["lea"] == "886"  # Kent, the sample's default council
            assert spec.parse_date(header["referencedate"]) == CENSUS[year]
            errors = [p for p in validate(result) if p.severity == "error"]
            assert errors == []
            assert len(result.records["person"]) > 100


def test_each_year_uses_its_own_item_names_and_codes(returns):
    result = returns["sen2-xml"]
    persons = {year: result[year].records["person"] for year in result}
    assert all("gendercurrent" in p.values and "sex" not in p.values for p in persons[2024])
    assert all("sex" in p.values and "gendercurrent" not in p.values for p in persons[2025])
    assert {p.values["gendercurrent"] for p in persons[2024]} <= {"1", "2", "9"}
    active = {year: result[year].records["active_plans"] for year in result}
    assert not any("reviewmeeting" in a.values or "reviewoutcome" in a.values for a in active[2024])
    assert any("reviewmeeting" in a.values for a in active[2025])
    needs = {year: {n.values["sentype"] for n in result[year].records["sen_need"]} for year in result}
    assert "DS" not in needs[2024]


def _normalised(result) -> dict[str, list[tuple]]:
    """Record content with dates as dates: the Blade set writes COLLECT's date form."""
    content = {}
    for module, records in result.records.items():
        dates = {i.name for i in spec.ITEMS if i.module == module and i.kind == "date"}
        content[module] = [
            (c[0], c[1], c[2], c[3], tuple((k, spec.parse_date(v) if k in dates else v) for k, v in c[4]))
            for c in (r.content for r in records)]
    return content


def test_xml_and_blade_give_equal_records(returns):
    for year in (2024, 2025):
        xml, blade = returns["sen2-xml"][year], returns["sen2-blade"][year]
        assert _normalised(xml) == _normalised(blade)
    blade_dates = [r.values["receiveddate"] for r in returns["sen2-blade"][2025].records["requests"]]
    assert all(d.endswith(" 00:00:00") and d[5:8].isalpha() for d in blade_dates)


def _holders_on(children, day: dt.date) -> int:
    return sum(any(p["start_date"] <= day and (p["cease_date"] is None or p["cease_date"] > day)
                   for p in child.rows.get("named_plan.csv", [])) for child in children)


def test_each_return_has_every_child_holding_a_plan_on_its_census(returns, children):
    for year, census in CENSUS.items():
        result = returns["sen2-xml"][year]
        holders = {r.person for r in result.records["active_plans"]}
        assert len(holders) == _holders_on(children, census)
        # no child is in a return without a request record (every module hangs under one)
        assert {r.person for r in result.records["requests"]} == {
            p.position for p in result.records["person"]}


def test_returns_hold_nothing_after_their_census(returns):
    for year, result in returns["sen2-xml"].items():
        for module, records in result.records.items():
            dates = [i.name for i in spec.ITEMS if i.module == module and i.kind == "date"]
            for record in records:
                for name in dates:
                    if record.values.get(name) and name != "referencedate":
                        assert spec.parse_date(record.values[name]) <= CENSUS[year]


def _lookup(root: Path) -> dict[str, dict]:
    [path] = (root / "postcodes").glob("NSPL*_UK.csv")
    assert path.name == "NSPL21_FEB_2025_UK.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m",
                             "osnrth1m", "osgrdind", "oa21", "cty", "ced", "laua", "ward", "ctry",
                             "rgn", "lat", "long"]
    return {row["pcds"].replace(" ", "").upper(): row for row in rows}


def test_every_home_postcode_is_in_the_lookup_near_its_homes(landings, children, returns):
    lookup = _lookup(landings["sen2-xml"])
    lad_codes = {d.name: d.lad_code for d in council_config.current().districts}
    neighbours = {"E06000035", "E07000064", "E07000065", "E09000004", "E09000006",
                  "E07000215", "E06000034"}
    farthest = 0.0
    for child in children:
        person = child.person
        row = lookup[person.postcode.replace(" ", "")]
        assert row["doterm"] == ""
        if person.home_district == contract.OUT_OF_COUNTY:
            assert row["laua"] in neighbours
        else:
            assert row["laua"] == lad_codes[person.home_district]
        if person.home_point is not None:
            centroid = (int(row["oseast1m"]), int(row["osnrth1m"]))
            farthest = max(farthest, math.dist(centroid, person.home_point))
    assert farthest <= geography.POSTCODE_CELL_M / math.sqrt(2) + 1  # 142 m: half a cell's diagonal
    in_returns = {p.values["postcode"].replace(" ", "")
                  for result in returns["sen2-xml"].values() for p in result.records["person"]}
    assert in_returns <= set(lookup)
    assert sum(bool(row["doterm"]) for row in lookup.values()) == 2


def test_synergy_sample_writes_the_lookup_and_no_returns(small_landing, landings):
    assert not (small_landing / "sen2").exists()
    assert not (landings["sen2-xml"] / contract.LANDING_SYNERGY).exists()
    synergy, sen2 = _lookup(small_landing), _lookup(landings["sen2-xml"])
    # the same children, so the same rows; Synergy's second night adds a few new children
    assert all(synergy[key] == row for key, row in sen2.items())
    assert 0 < len(synergy) - len(sen2) <= 5


def test_a_return_leaves_out_people_older_than_it_can_hold(children):
    """A plan that ended at 25 in the calendar year before the census may belong to someone
    over 26 on census day, older than a return can hold (validate.py): left out."""
    from orchestration.sample_data.sen2_return import Collection, ReturnBuilder

    census = CENSUS[2025]
    child = next(c for c in children if c.rows.get("request.csv"))
    builder = ReturnBuilder(Collection(2025), council_config.DEFAULT_LA_CODE)
    plan = {"plan_id": 1, "person_id": child.person.person_id, "assessment_id": None,
            "start_date": dt.date(2019, 5, 1), "cease_date": dt.date(2024, 7, 19), "cease_reason": "1"}
    request = {"request_id": 1, "person_id": child.person.person_id,
               "received_date": dt.date(2024, 3, 1), "request_source": "1", "rya": "Y",
               "request_outcome": "N", "request_outcome_date": dt.date(2024, 4, 10)}
    for born, expected in ((census.replace(year=census.year - 26), 1),
                           (census.replace(year=census.year - 26) - dt.timedelta(days=1), 0)):
        person = dataclasses.replace(child.person, date_of_birth=born)
        record = type(child)(person, {"request.csv": [request], "named_plan.csv": [plan]})
        before = len(builder.result.records["person"])
        builder.add_child(record)
        assert len(builder.result.records["person"]) - before == expected
    assert [p for p in validate(builder.result) if p.severity == "error"] == []


def test_the_manifest_names_the_returns(landings, small_landing):
    import json

    def manifest(root):
        return json.loads((root / "SAMPLE_DATA.json").read_text(encoding="utf-8"))

    assert manifest(landings["sen2-blade"])["input_format"] == "sen2-blade"
    assert manifest(landings["sen2-xml"])["scenario"]["sen2_returns"] == [
        {"year": year, "census": CENSUS[year].isoformat(), "extract_date": EXTRACTS[year]}
        for year in (2024, 2025)]
    assert manifest(small_landing)["scenario"]["sen2_returns"] == []
