"""A small SEN2 return through the platform's ingest into bronze, then dbt staging and silver
(issue 16 item 1): silver rows asserted exactly, worked out by hand from the table below.

Landing: a 2025 return as a COLLECT Blade set (dates as ``yyyy-Mon-dd 00:00:00``) in
``sen2/2025-02-03/`` (a 2024 XML return is loaded alone in one test; history from several
returns: tests/test_sen2_history.py); two postcode lookups (the newer, February 2025, wins). GIAS and the SRP register
are written straight into bronze. No Synergy extract: silver reads SEN2.

2025 return (orchestration/sen2/example.py, 4 persons, then changed as below; reference date
16 January 2025; every named plan issued 120 days after its request was received)

| person | identifier  | postcode | centroid (m)   | district      | plan start | placement   | km     |
| 1      | UPN ...0001 | ct1 1aa  | 603000, 144000 | Ashford       | 2023-06-02 | 118001 RP   | 5      |
| 1      | same plan: rank 2, 2023-09-04 to 2024-07-20                   | 118003 RP   | 27.295 |
| 2      | UPN ...0002 | ME141XX  | 575000, 143000 | Maidstone     | 2023-07-01 | 118002      | 12     |
| 2      | 2nd request 2024-03-01: active plan only, transferred from 845 | 118001 RP   | 25.179 |
| 3      | UPN unknown | TN1 1ZZ  | terminated     | Unknown       | 2023-08-02 | 118003 RP   | -      |
| 4      | ULN         | BN1 1AA  | 640000, 152000 | Out of county | 2023-09-02 | 118004 RP   | 13     |

Schools: 118001 Ashford (600000, 140000), 118002 Maidstone (575000, 155000), 118003 Dover
(630000, 140000), 118004 in LA 846 (635000, 140000). SRP register 2024/25: 118001 ASD only;
118003 ASD and SLCN (ambiguous: 'unknown', the warning); 118004 not listed (no designation);
2023/24: 118003 SLCN only (person 1's placement there left in 2023/24: SLCN). Distances
rounded to 3 decimals: 25.179 = sqrt(25000^2 + 3000^2) / 1000, 27.295 = sqrt(27000^2 + 4000^2)
/ 1000.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.postcodes import ingest_postcodes
from orchestration.ingest.sen2 import ingest_sen2
from orchestration.pseudonymise import DEV_KEY, pseudonym
from orchestration.sen2 import writer
from orchestration.sen2.example import example_return
from orchestration.sen2.records import Record
from orchestration.settings import DBT_PROJECT_DIR
from tests.scenarios import srp_scenario

EXTRACT_2025, EXTRACT_2024 = dt.date(2025, 2, 3), dt.date(2024, 2, 1)
SILVER = ("silver_person", "silver_plan", "silver_placement", "silver_request",
          "silver_annual_review", "silver_census_state")
NSPL_HEADER = ("pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa21,cty,ced,"
               "laua,ward,ctry,rgn,lat,long")
# pcds, doterm, easting, northing, laua
NSPL_FEB_2025 = [("CT1 1AA", "", 603000, 144000, "E07000105"),
                 ("ME14 1XX", "", 575000, 143000, "E07000110"),
                 ("TN1 1ZZ", "202001", 558000, 139000, "E07000116"),
                 ("BN1 1AA", "", 640000, 152000, "E06000043")]
NSPL_NOV_2024 = [("CT1 1AA", "", 610000, 150000, "E07000106"),
                 ("ME14 1XX", "", 575000, 143000, "E07000110")]
# urn, name, type, district, easting, northing, LA code
SCHOOLS = [("118001", "Ashford Primary", "Community school", "Ashford", 600000, 140000, "886"),
           ("118002", "Maidstone Primary", "Community school", "Maidstone", 575000, 155000, "886"),
           ("118003", "Dover Special", "Community special school", "Dover", 630000, 140000, "886"),
           ("118004", "Hove Primary", "Community school", "Brighton and Hove", 635000, 140000,
            "846")]
REGISTER = [("SRP-A", "118001", "ASD", "2024/25"), ("SRP-D", "118003", "ASD", "2024/25"),
            ("SRP-D", "118003", "SLCN", "2024/25"), ("SRP-D", "118003", "SLCN", "2023/24")]

D = dt.date


def blade_date(iso: str) -> str:
    """A date as COLLECT's Blade export writes it: 2023-Jun-02 00:00:00."""
    return f"{dt.date.fromisoformat(iso):%Y-%b-%d} 00:00:00"


def return_2025():
    result = example_return(persons=4, year=2025)
    persons = result.records["person"]
    persons[0].values["postcode"] = "ct1 1aa"
    persons[1].values["postcode"] = "ME141XX"
    persons[2].values |= {"postcode": "TN1 1ZZ", "upn": None, "upnunknown": "UN2"}
    persons[3].values |= {"postcode": "BN1 1AA", "upn": None, "uniquelearnernumber": "1234567890"}
    result.records["placement_detail"][3].values["resourcedprovisionindicator"] = "1"
    _append(result, "placement_detail", {  # person 1's second placement, left last year
        "urn": "118003", "placementrank": "2", "entrydate": "2023-09-04",
        "leavingdate": "2024-07-20", "senunitindicator": "0",
        "resourcedprovisionindicator": "1"}, 1, 1)
    # person 2's second request: an active plan only (transferred in), its placement and need
    request = _append(result, "requests", {"receiveddate": "2024-03-01", "rya": "0"}, 2, 2)
    active = _append(result, "active_plans", {
        "transferla": "845", "reviewmeeting": "2024-11-20", "reviewoutcome": "M",
        "lastreview": "2024-12-01"}, request, 2)
    _append(result, "placement_detail", {
        "urn": "118001", "placementrank": "1", "entrydate": "2024-09-02", "senunitindicator": "0",
        "resourcedprovisionindicator": "1"}, active, 2)
    _append(result, "sen_need", {"sentype": "ASD", "sentyperank": "1"}, active, 2)
    for records in result.records.values():
        for record in records:
            for item, value in record.values.items():
                if value and item.endswith(("date", "review", "meeting")) and item != "datetime":
                    record.values[item] = blade_date(value)
    return result


def _append(result, module: str, values: dict, parent: int, person: int) -> int:
    position = len(result.records[module]) + 1
    result.add(Record(module, position, values, parent, person))
    return position


def return_2024():
    result = example_return(persons=3, year=2024)
    result.records["person"][2].values["gendercurrent"] = "9"
    return result


def write_landing(landing: Path) -> None:
    folder = landing / "sen2" / EXTRACT_2025.isoformat()
    writer.write_blade(return_2025(), folder, EXTRACT_2025)
    (folder / "_SUCCESS").touch()
    (landing / "postcodes").mkdir()
    for name, rows in (("NSPL21_FEB_2025_UK.csv", NSPL_FEB_2025),
                       ("NSPL21_NOV_2024_UK.csv", NSPL_NOV_2024)):
        lines = [NSPL_HEADER] + [
            f"{p},{p},{p},201001,{term},0,{e},{n},1,E00000001,E10000016,E58000001,{la},"
            f"E05000001,E92000001,E12000008,51.0,1.0" for p, term, e, n, la in rows]
        (landing / "postcodes" / name).write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sen2_silver")
    landing = root / "sen2_landing"
    write_landing(landing)

    def write(con):
        ingest_sen2(con, landing, root / "archive")
        ingest_postcodes(con, landing, root / "archive")
        srp_scenario._insert(con, "gias_establishment", [
            "urn", "establishment_name", "type_of_establishment_name",
            "district_administrative_name", "easting", "northing", "la_code", "_file_date"],
            [s + ("2025-01-01",) for s in SCHOOLS])
        srp_scenario._insert(con, "srp_register", [
            "srp_id", "urn", "designation", "academic_year", "phase", "commissioned_places"],
            [r + ("Primary", 8) for r in REGISTER])

    srp_scenario.dbt_build(root, write, SILVER)
    return root


def rows(warehouse: Path, sql: str) -> set[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(sql).fetchall()
    assert len(found) == len(set(found)), "duplicate rows"
    return set(found)


# Keys, as staging builds them (docs/SEN2.md): the pseudonym of the UPN, else ULN, else LA,
# names, date of birth and order; requests by person, received date and order that day; plans
# and assessments from their request's key; reviews by plan and meeting date; placements by
# plan, school (URN, UKPRN or setting), entry date and order.
def key(kind: str, value: str) -> str:
    return pseudonym(DEV_KEY, kind, value)


def placement_key(plan: str, urn: str, entry: str) -> str:
    return key("placement", f"{plan} URN {urn} {entry} 1")


P1, P2, P3, P4 = (key("person", v) for v in (
    "UPN J886000000001", "UPN Y886000000002", "LA 886 SURNAME3 FORENAME3 2016-04-04 1",
    "ULN 1234567890"))
RECEIVED = {"1": (P1, "2023-02-02"), "2a": (P2, "2023-03-03"), "2b": (P2, "2024-03-01"),
            "3": (P3, "2023-04-04"), "4": (P4, "2023-05-05")}
REQUEST = {k: key("request", f"SEN2 {p} {d} 1") for k, (p, d) in RECEIVED.items()}
PLAN = {k: key("plan", r) for k, r in REQUEST.items()}
ENTRY = {"1": "2023-06-02", "2a": "2023-07-01", "2b": "2024-09-02", "3": "2023-08-02",
         "4": "2023-09-02"}
URN = {"1": "118001", "2a": "118002", "2b": "118001", "3": "118003", "4": "118004"}
PLACEMENT = {k: placement_key(PLAN[k], URN[k], ENTRY[k]) for k in PLAN}
PLACEMENT["1 second"] = placement_key(PLAN["1"], "118003", "2023-09-04")
PERSON_OF = {k: p for k, (p, _) in RECEIVED.items()}


def test_persons(built):
    assert rows(built / "warehouse.duckdb", """
        select person_key, upn_key, sex, ethnicity_group, reception_year, home_district,
               home_area, has_home_coordinates, extract_date
        from silver.silver_person""") == {
        (P1, key("upn", "J886000000001"), "F", "White", 2022, "Ashford", "South Kent", True,
         EXTRACT_2025),
        (P2, key("upn", "Y886000000002"), "M", "White", 2021, "Maidstone", "West Kent", True,
         EXTRACT_2025),
        (P3, None, "F", "White", 2020, "Unknown", "Unknown", False, EXTRACT_2025),
        (P4, None, "M", "White", 2019, "Out of county", "Out of county", True, EXTRACT_2025),
    }


def test_plans(built):
    assert rows(built / "warehouse.duckdb", """
        select plan_key, person_key, transferred_in, start_date, cease_date, primary_need
        from silver.silver_plan""") == {
        (PLAN["1"], P1, False, D(2023, 6, 2), None, "MLD"),
        (PLAN["2a"], P2, False, D(2023, 7, 1), None, "SLD"),
        (PLAN["2b"], P2, True, D(2024, 3, 1), None, "ASD"),  # no named plan: received date
        (PLAN["3"], P3, False, D(2023, 8, 2), None, "PMLD"),
        (PLAN["4"], P4, False, D(2023, 9, 2), None, "SEMH"),
    }


def test_placements_distances_and_designations(built):
    assert rows(built / "warehouse.duckdb", """
        select placement_key, plan_key, person_key, urn, placement_rank, entry_date, leaving_date,
               is_resourced_provision, srp_designation, school_district, distance_km
        from silver.silver_placement""") == {
        (PLACEMENT["1"], PLAN["1"], P1, "118001", 1, D(2023, 6, 2), None, True, "ASD",
         "Ashford", 5.0),
        # left in 2023/24: that year's register, SLCN only
        (PLACEMENT["1 second"], PLAN["1"], P1, "118003", 2, D(2023, 9, 4), D(2024, 7, 20), True,
         "SLCN", "Dover", 27.295),
        (PLACEMENT["2a"], PLAN["2a"], P2, "118002", 1, D(2023, 7, 1), None, False, None,
         "Maidstone", 12.0),
        (PLACEMENT["2b"], PLAN["2b"], P2, "118001", 1, D(2024, 9, 2), None, True, "ASD",
         "Ashford", 25.179),
        # terminated postcode: distance unknown; two designations at 118003: 'unknown'
        (PLACEMENT["3"], PLAN["3"], P3, "118003", 1, D(2023, 8, 2), None, True, "unknown",
         "Dover", None),
        # school not in the register: no designation
        (PLACEMENT["4"], PLAN["4"], P4, "118004", 1, D(2023, 9, 2), None, True, None,
         "Out of county", 13.0),
    }


def test_requests_and_assessments(built):
    issued = {"1": D(2023, 6, 2), "2a": D(2023, 7, 1), "3": D(2023, 8, 2), "4": D(2023, 9, 2)}
    expected = {
        (REQUEST[k], PERSON_OF[k], dt.date.fromisoformat(RECEIVED[k][1]), None, False, "A",
         key("assessment", REQUEST[k]), "I", issued[k], 120)
        for k in issued
    } | {(REQUEST["2b"], P2, D(2024, 3, 1), None, False, None, None, None, None, None)}
    assert rows(built / "warehouse.duckdb", """
        select request_key, person_key, received_date, request_source, is_relevant_young_adult,
               request_outcome, assessment_key, assessment_outcome, assessment_outcome_date,
               days_to_plan_issued
        from silver.silver_request""") == expected


def test_annual_reviews(built):
    reviews = {"1": ("2024-03-18", "2024-03-28"), "2a": ("2024-04-16", "2024-04-26"),
               "2b": ("2024-11-20", "2024-12-01"), "3": ("2024-05-18", "2024-05-28"),
               "4": ("2024-06-18", "2024-06-28")}
    assert rows(built / "warehouse.duckdb", """
        select review_key, plan_key, review_meeting_date, review_outcome, review_decision_date
        from silver.silver_annual_review""") == {
        (key("review", f"{PLAN[k]} {meeting}"), PLAN[k], D.fromisoformat(meeting), "M",
         D.fromisoformat(decision))
        for k, (meeting, decision) in reviews.items()
    }


def test_census_state_counts_the_returns_census(built):
    """Census days from the first SEN2 return's to its extract are covered (no Synergy
    extract): 2024/25 only, as one 2025 return says nothing of 2023/24's census; on 16 January
    2025 person 2's newest plan is the transferred-in one, its placement the main one."""
    assert rows(built / "warehouse.duckdb", """
        select person_key, plan_key, nc_year, main_urn, distance_km, home_district,
               srp_designation
        from silver.silver_census_state where academic_year = '2024/25'""") == {
        (P1, PLAN["1"], 2, "118001", 5.0, "Ashford", "ASD"),
        (P2, PLAN["2b"], 3, "118001", 25.179, "Maidstone", "ASD"),
        (P3, PLAN["3"], 4, "118003", None, "Unknown", "unknown"),
        (P4, PLAN["4"], 5, "118004", 13.0, "Out of county", None),
    }
    assert rows(built / "warehouse.duckdb", """
        select academic_year, count(*) from silver.silver_census_state group by all""") == {
        ("2024/25", 4)}


def test_staging_checks_pass_and_the_ambiguous_designation_warns(built):
    results = json.loads((built / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: (r["status"], r.get("failures")) for r in results
              if r["unique_id"].startswith("test.")}
    sen2 = {name: s for name, s in status.items() if "sen2" in name or "postcodes" in name}
    assert sen2.pop("warn_sen2_placement_designation_unknown") == ("warn", 1)
    # 13 staging_is_sound checks (3 of them of the versions of every return), the record
    # count check, silver_source_coverage's flag
    assert len(sen2) == 15
    assert {s for s, _ in sen2.values()} == {"pass"}


def dbt_run(built: Path, warehouse: Path, *models: str) -> None:
    landing = built / "landing"
    env = {**os.environ, "SEND_WAREHOUSE_PATH": str(warehouse), "SEND_LANDING_DIR": str(landing)}
    env.pop("SEND_PSEUDONYM_KEY", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", *models,
         "--target-path", str(built / "target"), "--log-path", str(built / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def copy_with(built: Path, *statements: str) -> Path:
    """A copy of the built warehouse with `statements` run on it (always at the same path, so
    that dbt's partial parsing carries over from one test to the next)."""
    warehouse = built / "variant.duckdb"
    shutil.copy(built / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for statement in statements:
            con.execute(statement)
    return warehouse


def test_a_2024_return_maps_gendercurrent_to_sex(built):
    """With only the 2024 return loaded: GenderCurrent 2 -> F, 1 -> M, 9 -> U."""
    tables = ["sen2_header", "sen2_person", "sen2_requests", "sen2_assessment",
              "sen2_named_plan", "sen2_plan_detail", "sen2_active_plans",
              "sen2_placement_detail", "sen2_sen_need"]
    warehouse = copy_with(built, *(
        f"delete from bronze.{t} where _extract_date = '{EXTRACT_2025}'" for t in tables))
    landing = built / "landing_2024"
    folder = landing / "sen2" / EXTRACT_2024.isoformat()
    folder.mkdir(parents=True)
    writer.write_xml(return_2024(), folder / "sen2_2024.xml")
    (folder / "_SUCCESS").touch()
    with duckdb.connect(str(warehouse)) as con:
        ingest_sen2(con, landing, built / "archive_2024")
    dbt_run(built, warehouse, "silver_person")
    assert rows(warehouse, "select person_key, sex, extract_date from silver.silver_person") == {
        (key("person", "UPN J886000000001"), "F", EXTRACT_2024),
        (key("person", "UPN Y886000000002"), "M", EXTRACT_2024),
        (key("person", "UPN M886000000003"), "U", EXTRACT_2024),
    }


def test_a_newer_synergy_extract_switches_silver_back_wholesale(built):
    warehouse = copy_with(
        built,
        "insert into bronze.synergy_extracts (extract_date, status)"
        " values ('2025-03-01', 'loaded')",
        "insert into bronze.synergy_person (person_id, upn, date_of_birth, sex, _extract_date,"
        " _valid_from) values ('7', 'J886000000001', '2018-02-02', 'F', '2025-03-01',"
        " '2025-03-01')")
    dbt_run(built, warehouse, "silver_person")
    assert rows(warehouse, "select person_key, extract_date from silver.silver_person") == {
        (key("person", "7"), D(2025, 3, 1))}


def sen2_identifier_leaks(warehouse: Path) -> list[tuple]:
    """Text values outside bronze equal to a SEN2 person's name, UPN, ULN, date of birth or
    postcode (identifiers of the return, so a match is a leak, not vocabulary)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        people = con.execute("select upn, uniquelearnernumber, surname, forename, postcode, "
                             "personbirthdate from bronze.sen2_person").fetchall()
        identifiers = {str(v).strip().upper() for person in people for v in person if v}
        identifiers |= {v.replace(" ", "") for v in identifiers}  # postcodes without spaces
        assert {"J886000000001", "1234567890", "CT11AA"} <= identifiers  # the return's own
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema not in ('bronze', 'information_schema', 'pg_catalog') "
            "and data_type = 'VARCHAR'").fetchall()
        assert columns
        return [(schema, table, column, value)
                for schema, table, column in columns
                for (value,) in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null')
                .fetchall()
                if value.strip().upper() in identifiers or value.replace(" ", "").upper() in identifiers]


def test_no_sen2_identifier_leaves_bronze(built):
    """Names, UPN, ULN, date of birth and postcode are used in staging for keys and centroids
    only: no table outside bronze holds one of those values."""
    assert sen2_identifier_leaks(built / "warehouse.duckdb") == []


def test_the_identifier_scan_finds_a_leak(built):
    leaked = copy_with(built, "create table silver.leak as select lower(postcode) as home "
                              "from bronze.sen2_person where postcode is not null")
    assert ("silver", "leak", "home", "ct1 1aa") in sen2_identifier_leaks(leaked)
