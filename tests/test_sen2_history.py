"""History from several SEN2 returns (issue 16 item 5): two annual returns of the same children,
hand-made, through ingest, staging, silver and the phase-transfer gold table. Every figure below
is worked out by hand from this table.

2024 return: census 18 January 2024, XML, ``sen2/2024-02-01/``. 2025 return: census 16 January
2025, COLLECT Blade set, ``sen2/2025-01-30/``. Schools: 118001 and 118002 primary, 118003
special, 118005 secondary (GIAS; no grid references, so no distances).

| child | identifier   | 2024 return                                   | 2025 return                                           |
| A     | UPN ...0001  | born 2012-10-05 (Year 6 in 2023/24);          | the same plan: needs ASD (changed), review met        |
|       |              | plan from request 2022-05-10 (named,          | 2024-08-10, decided 2024-08-20; 118002 left           |
|       |              | start 2022-09-01), needs MLD; placements      | 2024-07-19 (changed), 118005 RP entry 2024-09-03;     |
|       |              | 118001 2022-09-01 to 2023-07-21, 118002 RP    | 118001 (left in 2023) not in it                       |
|       |              | from 2023-09-04; review decided 2023-08-20    |                                                       |
| B     | UPN ...0002  | born 2013-01-10 (Year 6 in 2023/24); plan     | the plan's named plan ceased 2024-06-30, reason 3:    |
|       |              | from request 2021-03-03 (start 2021-07-01),   | no active plan, no placement                          |
|       |              | placement 118002 RP from 2021-09-01           |                                                       |
| C     | neither (UN1)| request 2023-10-01, no outcome yet            | the request's outcome A 2023-11-10, plan issued       |
|       |              |                                               | 2024-02-20, placement 118001 from 2024-02-20          |
| D     | UPN ...0003  | plan transferred in from 845 (active plan     | not in it: the plan was not active on its census day, |
|       |              | only, request 2023-05-01), placement 118001   | which stands for the unknown cease date (and the      |
|       |              | from 2023-05-02                               | placement's leaving date)                             |

SRP register: 118002 ASD Primary in 2023/24, 118005 ASD Secondary in 2024/25. Children A and
B are in Year 6 in a primary SRP on 2023/24's census day: A is in Year 7 in a secondary SRP of
the same designation on 2024/25's, B has no plan then (B's SRP placement is only in the 2024
return: from the 2025 return alone B is no Year 6 SRP pupil).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.postcodes import ingest_postcodes
from orchestration.ingest.sen2 import ingest_sen2
from orchestration.pseudonymise import DEV_KEY, pseudonym
from orchestration.report.data import load_report_data
from orchestration.report.render import build_pages
from orchestration.returns.model import example_upn
from orchestration.sen2 import writer
from orchestration.sen2.coverage import (
    SourceCoverage,
    load_source_coverage,
    methods_note,
    section_note,
)
from orchestration.sen2.example import reference_date
from orchestration.sen2.records import Record, Sen2Return
from orchestration.sen2.validate import validate
from tests.scenarios import srp_scenario
from tests.test_sen2_silver import NSPL_HEADER, copy_with, dbt_run, rows

D = dt.date
EXTRACT_2024, EXTRACT_2025 = D(2024, 2, 1), D(2025, 1, 30)
MODELS = ("silver_person", "silver_plan", "silver_placement", "silver_request",
          "silver_annual_review", "silver_census_state", "silver_source_coverage",
          "phase_transfer_pathways")
# urn, name, type, district, LA code, phase
SCHOOLS = [("118001", "Ashford Primary", "Community school", "Ashford", "886", "Primary"),
           ("118002", "Maidstone Primary", "Community school", "Maidstone", "886", "Primary"),
           ("118003", "Dover Special", "Community special school", "Dover", "886", "All-through"),
           ("118005", "Maidstone Grammar", "Community school", "Maidstone", "886", "Secondary")]
REGISTER = [("SRP-P", "118002", "ASD", "2023/24", "Primary", 8),
            ("SRP-S", "118005", "ASD", "2024/25", "Secondary", 8)]
NSPL = [("ME14 1XX", "", 575000, 143000, "E07000110"), ("CT1 1AA", "", 603000, 144000, "E07000105")]


class Builder:
    """A return's records in document order (a person, then its requests depth first)."""

    def __init__(self, year: int):
        self.year = year
        self.result = Sen2Return(f"history {year}")
        census = reference_date(year)
        self.result.add(Record("header", 1, {
            "collection": "SEN2", "year": str(year), "referencedate": census.isoformat(),
            "sourcelevel": "L", "lea": "886", "softwarecode": "test", "release": "1",
            "serialno": "1", "datetime": f"{census.isoformat()}T00:00:00"}))
        self.person = 0

    def add(self, module: str, values: dict, parent: int | None = None) -> int:
        position = len(self.result.records[module]) + 1
        self.result.add(Record(module, position, values, parent or position, self.person or position))
        return position

    def child(self, upn: str | None, born: str, sex: str, postcode: str, name: str) -> int:
        values = {"surname": name, "forename": "Test", "personbirthdate": born,
                  "ethnicity": "WBRI", "postcode": postcode, "upn": upn,
                  "uniquelearnernumber": None, "upnunknown": None if upn else "UN1"}
        values |= {"sex": sex} if self.year >= 2025 else {"gendercurrent": {"M": "1", "F": "2"}[sex]}
        self.person = 0
        self.person = self.add("person", values, parent=1)  # the header
        return self.person

    def request(self, person: int, received: str, outcome: str | None = None,
                outcome_date: str | None = None) -> int:
        return self.add("requests", {
            "receiveddate": received, "rya": "0", "requestoutcome": outcome,
            "requestoutcomedate": outcome_date, "requestmediation": "0", "requesttribunal": "0",
            "exported": "0"}, person)

    def named_plan(self, request: int, issued: str, cease: tuple[str, str] | None = None) -> None:
        assessment = self.add("assessment", {
            "assessmentoutcome": "I", "assessmentoutcomedate": issued, "week20": "0"}, request)
        values = {"startdate": issued, "pb": "0"}
        if cease:
            values |= {"ceasedate": cease[0], "ceasereason": cease[1]}
        self.add("named_plan", values, assessment)

    def active_plan(self, request: int, needs: list[str], placements: list[tuple],
                    transferla: str | None = None, **review) -> None:
        plan = self.add("active_plans", {"transferla": transferla, **review}, request)
        for urn, entry, leaving, rp in placements:
            self.add("placement_detail", {
                "urn": urn, "placementrank": "1", "entrydate": entry, "leavingdate": leaving,
                "senunitindicator": "0", "resourcedprovisionindicator": rp}, plan)
        for rank, need in enumerate(needs, start=1):
            self.add("sen_need", {"sentype": need, "sentyperank": str(rank)}, plan)


def return_2024() -> Sen2Return:
    b = Builder(2024)
    a = b.child(example_upn(1), "2012-10-05", "F", "CT1 1AA", "Able")
    request = b.request(a, "2022-05-10", "A", "2022-06-15")
    b.named_plan(request, "2022-09-01")
    b.active_plan(request, ["MLD"], [("118001", "2022-09-01", "2023-07-21", "0"),
                                     ("118002", "2023-09-04", None, "1")], lastreview="2023-08-20")
    bee = b.child(example_upn(2), "2013-01-10", "M", "ME14 1XX", "Bee")
    request = b.request(bee, "2021-03-03", "A", "2021-04-01")
    b.named_plan(request, "2021-07-01")
    b.active_plan(request, ["SLD"], [("118002", "2021-09-01", None, "1")], lastreview="2023-06-10")
    c = b.child(None, "2020-05-06", "M", "ME14 1XX", "Sea")
    b.request(c, "2023-10-01")
    d = b.child(example_upn(3), "2014-02-02", "M", "ME14 1XX", "Dee")
    request = b.request(d, "2023-05-01")
    b.active_plan(request, ["SLD"], [("118001", "2023-05-02", None, "0")], transferla="845")
    return b.result


def return_2025() -> Sen2Return:
    b = Builder(2025)
    a = b.child(example_upn(1), "2012-10-05", "F", "ME14 1XX", "Able")  # moved home
    request = b.request(a, "2022-05-10", "A", "2022-06-15")
    b.named_plan(request, "2022-09-01")
    b.active_plan(request, ["ASD"], [("118002", "2023-09-04", "2024-07-19", "1"),
                                     ("118005", "2024-09-03", None, "1")],
                  reviewmeeting="2024-08-10", reviewoutcome="M", lastreview="2024-08-20")
    bee = b.child(example_upn(2), "2013-01-10", "M", "ME14 1XX", "Bee")
    request = b.request(bee, "2021-03-03", "A", "2021-04-01")
    b.named_plan(request, "2021-07-01", cease=("2024-06-30", "3"))
    c = b.child(None, "2020-05-06", "M", "ME14 1XX", "Sea")
    request = b.request(c, "2023-10-01", "A", "2023-11-10")
    b.named_plan(request, "2024-02-20")
    b.active_plan(request, ["SLCN"], [("118001", "2024-02-20", None, "0")],
                  reviewmeeting="2025-01-10", reviewoutcome="M")
    return b.result


def land(landing: Path, *returns: tuple[Sen2Return, dt.date, str]) -> None:
    for result, extract, fmt in returns:
        folder = landing / "sen2" / extract.isoformat()
        folder.mkdir(parents=True)
        if fmt == "xml":
            writer.write_xml(result, folder / f"sen2_{extract.year}.xml")
        else:
            writer.write_blade(result, folder, extract)
        (folder / "_SUCCESS").touch()
    (landing / "postcodes").mkdir()
    (landing / "postcodes" / "NSPL21_FEB_2025_UK.csv").write_text("\n".join([NSPL_HEADER] + [
        f"{p},{p},{p},201001,{term},0,{e},{n},1,E00000001,E10000016,E58000001,{la},"
        f"E05000001,E92000001,E12000008,51.0,1.0" for p, term, e, n, la in NSPL]) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sen2_history")
    landing = root / "sen2_landing"
    land(landing, (return_2024(), EXTRACT_2024, "xml"), (return_2025(), EXTRACT_2025, "blade"))

    def write(con):
        summary = ingest_sen2(con, landing, root / "archive")
        ingest_postcodes(con, landing, root / "archive")
        srp_scenario._insert(con, "gias_establishment", [
            "urn", "establishment_name", "type_of_establishment_name",
            "district_administrative_name", "la_code", "phase_of_education_name", "_file_date"],
            [s + ("2025-01-01",) for s in SCHOOLS])
        srp_scenario._insert(con, "srp_register", [
            "srp_id", "urn", "designation", "academic_year", "phase", "commissioned_places"],
            REGISTER)
        assert con.execute("select count(*) from bronze.load_errors where severity = 'error'"
                           ).fetchone() == (0,), summary

    srp_scenario.dbt_build(root, write, MODELS)
    return root


def key(kind: str, value: str) -> str:
    return pseudonym(DEV_KEY, kind, value)


A, B, D_ = (key("person", f"UPN {example_upn(n)}") for n in (1, 2, 3))
C = key("person", "LA 886 SEA TEST 2020-05-06 1")  # no UPN or ULN: names and date of birth
REQUEST = {"A": key("request", f"SEN2 {A} 2022-05-10 1"),
           "B": key("request", f"SEN2 {B} 2021-03-03 1"),
           "C": key("request", f"SEN2 {C} 2023-10-01 1"),
           "D": key("request", f"SEN2 {D_} 2023-05-01 1")}
PLAN = {k: key("plan", r) for k, r in REQUEST.items()}


def placement(plan: str, urn: str, entry: str) -> str:
    return key("placement", f"{PLAN[plan]} URN {urn} {entry} 1")


def test_each_return_is_valid():
    for result in (return_2024(), return_2025()):
        assert [p for p in validate(result) if p.severity == "error"] == []


def test_a_person_in_both_returns_is_one_person_with_the_later_values(built):
    """A moved home between the returns: the 2025 postcode (Maidstone) wins; C, with no UPN or
    ULN, is one person by names and date of birth."""
    assert rows(built / "warehouse.duckdb", """
        select person_key, home_district, sex, reception_year, extract_date
        from silver.silver_person""") == {
        (A, "Maidstone", "F", 2017, EXTRACT_2025),
        (B, "Maidstone", "M", 2017, EXTRACT_2025),
        (C, "Maidstone", "M", 2024, EXTRACT_2025),
        (D_, "Maidstone", "M", 2018, EXTRACT_2024),
    }


def test_plans_take_the_latest_return_s_version(built):
    """B's plan ceased in the 2025 return; A's primary need changed MLD -> ASD; B's needs come
    from the 2024 return, the latest holding its active plan."""
    assert rows(built / "warehouse.duckdb", """
        select plan_key, person_key, transferred_in, start_date, cease_date, cease_reason,
               primary_need
        from silver.silver_plan""") == {
        (PLAN["A"], A, False, D(2022, 9, 1), None, None, "ASD"),
        (PLAN["B"], B, False, D(2021, 7, 1), D(2024, 6, 30), "3", "SLD"),
        (PLAN["C"], C, False, D(2024, 2, 20), None, None, "SLCN"),
        # only in the 2024 return: ceased by the 2025 census day, which stands for the date
        (PLAN["D"], D_, True, D(2023, 5, 1), D(2025, 1, 16), None, "SLD"),
    }


def test_requests_decided_later_take_the_later_outcome(built):
    assert rows(built / "warehouse.duckdb", """
        select request_key, received_date, request_outcome, request_outcome_date,
               assessment_outcome, days_to_plan_issued
        from silver.silver_request""") == {
        (REQUEST["A"], D(2022, 5, 10), "A", D(2022, 6, 15), "I", 114),
        (REQUEST["B"], D(2021, 3, 3), "A", D(2021, 4, 1), "I", 120),
        (REQUEST["C"], D(2023, 10, 1), "A", D(2023, 11, 10), "I", 142),
        (REQUEST["D"], D(2023, 5, 1), None, None, None, None),
    }


def test_placements_ended_before_the_latest_return_are_known_from_the_earlier_one(built):
    """118001 (A, left July 2023) and B's 118002 (plan ceased before the 2025 census) are only in
    the 2024 return; A's 118002 leaving date comes from the 2025 return."""
    assert rows(built / "warehouse.duckdb", """
        select placement_key, plan_key, urn, entry_date, leaving_date, is_resourced_provision
        from silver.silver_placement""") == {
        (placement("A", "118001", "2022-09-01"), PLAN["A"], "118001", D(2022, 9, 1),
         D(2023, 7, 21), False),
        (placement("A", "118002", "2023-09-04"), PLAN["A"], "118002", D(2023, 9, 4),
         D(2024, 7, 19), True),
        (placement("A", "118005", "2024-09-03"), PLAN["A"], "118005", D(2024, 9, 3), None, True),
        # open in the 2024 return; the plan ceased 2024-06-30 (2025 return): its leaving date
        (placement("B", "118002", "2021-09-01"), PLAN["B"], "118002", D(2021, 9, 1),
         D(2024, 6, 30), True),
        (placement("C", "118001", "2024-02-20"), PLAN["C"], "118001", D(2024, 2, 20), None, False),
        (placement("D", "118001", "2023-05-02"), PLAN["D"], "118001", D(2023, 5, 2),
         D(2025, 1, 16), False),
    }


def test_reviews_of_both_returns(built):
    """A's 2023 review from the 2024 return and its 2024 review from the 2025 return; a 2024
    return gives no meeting date, its decision date stands for it."""
    assert rows(built / "warehouse.duckdb", """
        select plan_key, review_meeting_date, review_decision_date from silver.silver_annual_review
    """) == {
        (PLAN["A"], D(2023, 8, 20), D(2023, 8, 20)), (PLAN["A"], D(2024, 8, 10), D(2024, 8, 20)),
        (PLAN["B"], D(2023, 6, 10), D(2023, 6, 10)), (PLAN["C"], D(2025, 1, 10), None),
    }


def test_each_census_from_the_returns(built):
    """2023/24 (18 January 2024): A and B (Year 6, 118002 SRP) and D; C's request undecided.
    2024/25 (16 January 2025): A (Year 7, 118005 SRP) and C; B's plan ceased, D's not in the
    2025 return. No year before the first return's census."""
    assert rows(built / "warehouse.duckdb", """
        select academic_year, person_key, nc_year, main_urn, srp_designation
        from silver.silver_census_state""") == {
        ("2023/24", A, 6, "118002", "ASD"), ("2023/24", B, 6, "118002", "ASD"),
        ("2023/24", D_, 5, "118001", None),
        ("2024/25", A, 7, "118005", "ASD"), ("2024/25", C, 0, "118001", None),
    }


def test_phase_transfer_pairs_the_two_censuses(built):
    assert rows(built / "warehouse.duckdb", """
        select transfer_year, entry_year, designation, year6_pupils,
               to_secondary_srp_same_designation, to_no_plan_or_left
        from gold.phase_transfer_pathways where level = 'county' and designation = 'ASD'
    """) == {("2023/24", "2024/25", "ASD", 2, 1, 1)}


def test_coverage_of_two_returns(built):
    assert rows(built / "warehouse.duckdb", """
        select source_system, sen2_returns_loaded, first_collection_year, last_collection_year,
               first_census_date, last_census_date, census_years_missing, is_single_sen2_return
        from silver.silver_source_coverage""") == {
        ("sen2", 2, 2024, 2025, D(2024, 1, 18), D(2025, 1, 16), 0, False)}


def test_the_staging_checks_pass(built):
    import json

    results = json.loads((built / "target" / "run_results.json").read_text())["results"]
    failed = {r["unique_id"] for r in results
              if r["unique_id"].startswith("test.") and r["status"] not in ("pass", "success")}
    assert failed == set()


def test_a_single_return_is_flagged_and_covers_its_census_only(built):
    """With the 2024 return taken out: one return, census years from 2024/25 only, no pair of
    censuses for phase transfer."""
    tables = ["sen2_header", "sen2_person", "sen2_requests", "sen2_assessment",
              "sen2_named_plan", "sen2_plan_detail", "sen2_active_plans",
              "sen2_placement_detail", "sen2_sen_need"]
    warehouse = copy_with(built, *(
        f"delete from bronze.{t} where _extract_date = '{EXTRACT_2024}'" for t in tables))
    dbt_run(built, warehouse, "silver_source_coverage", "silver_census_state",
            "phase_transfer_pathways")
    assert rows(warehouse, """
        select sen2_returns_loaded, first_census_date, is_single_sen2_return
        from silver.silver_source_coverage""") == {(1, D(2025, 1, 16), True)}
    assert rows(warehouse, """
        select academic_year, person_key from silver.silver_census_state""") == {
        ("2024/25", A), ("2024/25", C)}
    assert rows(warehouse, "select count(*) from gold.phase_transfer_pathways") == {(0,)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        coverage = load_source_coverage(con)
    assert methods_note(coverage) == (
        "Case records come from a single SEN2 return (census day 16 January 2025). It shows who "
        "held a plan on that census day (2024/25) and the requests and plans of the calendar "
        "year 2024. History before that census is partial and not shown: phase transfer pairs "
        "consecutive census days and needs a second return, and the 20-week timeliness of "
        "earlier calendar years counts only the requests the return still carries.")
    assert section_note(coverage, "pathways") == (
        "Only one SEN2 return is loaded: phase transfer pairs consecutive census days, so it "
        "needs two returns (see Methods).")
    pages, _ = build_pages(load_report_data(warehouse), D(2025, 10, 1))
    sections = {s.id: s for s in pages[0].sections}
    assert sections["methods"].blocks[0].text == methods_note(coverage)
    assert sections["pathways"].blocks[0].text == section_note(coverage, "pathways")
    assert sections["timeliness"].blocks[0].tone == "warning"


def test_the_report_note_for_two_returns(built):
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as con:
        coverage = load_source_coverage(con)
    assert methods_note(coverage) == (
        "Case records come from 2 annual SEN2 returns (census days 18 January 2024 to 16 January "
        "2025), combined into one history: each record as the latest return holding it gives it. "
        "Census years from 2023/24 are shown; earlier years are not covered by a return.")
    assert section_note(coverage, "pathways") is None


def test_no_note_for_synergy_and_a_gap_between_returns_is_said():
    assert methods_note(SourceCoverage("synergy")) is None
    assert section_note(SourceCoverage("synergy"), "timeliness") is None
    gap = SourceCoverage("sen2", 2, 2024, 2026, D(2024, 1, 18), D(2026, 1, 15), 1, False)
    assert methods_note(gap).endswith(
        "1 census year(s) between them have no return: figures for those years are partial.")
