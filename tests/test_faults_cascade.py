"""Issue 12, item 6: one bad optional value must not remove a child.

Only what cannot be used is rejected (contract.py, "Invalid values"). An invalid optional
value (a UPN with the wrong check letter, and every other optional field of every CSV source)
is blanked: the row loads with NULL there and a warning names file, row, column and rule,
while the raw row stays whole in load_errors.raw_record. A row whose key or required value is
unusable is rejected, and so is every row that depends on it through a required foreign key
(a cascade): each of those errors names the parent row and its rule, never its values. The
report's data-quality appendix counts the children whose records left the figures that way.

Real ingestion into DuckDB, a real report; nothing mocked.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from ingest_corpus.builders import (
    GIAS_HEADER, SRP_HEADER, assert_registry_balanced, connect, csv_bytes, gias_row,
    load_errors, person, rows, srp_row, upn, write, write_extract,
)
from orchestration import contract
from orchestration.ingest import ingest_gias, ingest_srp_register, ingest_synergy
from orchestration.pseudonymise import pseudonym
from orchestration.report import build_report
from test_report_render import table_rows

D1 = "2025-10-01"
BLANKED = "; loaded as blank, the row was kept"
TABLES = {s.file_name: s.name for s in contract.SYNERGY_FILES}


def children(count: int) -> dict[str, list[dict]]:
    """``count`` children, each with a request, an assessment, a plan (two needs), a placement
    and a review; child i has person_id i, request 10i, assessment 100i, plan 1000i."""
    tables = {name: [] for name in TABLES}
    for i in range(1, count + 1):
        plan = str(1000 * i)
        tables["person.csv"].append(person(i))
        tables["request.csv"].append({
            "request_id": str(10 * i), "person_id": str(i), "received_date": "03/01/2024",
            "request_source": "2", "rya": "N", "request_outcome": "A",
            "request_outcome_date": "20/02/2024"})
        tables["assessment.csv"].append({
            "assessment_id": str(100 * i), "request_id": str(10 * i),
            "assessment_outcome": "I", "assessment_outcome_date": "01/05/2024",
            "week20_exception": "N"})
        tables["named_plan.csv"].append({
            "plan_id": plan, "person_id": str(i), "assessment_id": str(100 * i),
            "start_date": "01/05/2024", "cease_date": "", "cease_reason": ""})
        tables["sen_need.csv"] += [
            {"plan_id": plan, "sen_type": "ASD", "sen_type_rank": "1"},
            {"plan_id": plan, "sen_type": "SLCN", "sen_type_rank": "2"}]
        tables["placement.csv"].append({
            "placement_id": str(1000 * i + 1), "plan_id": plan, "urn": "118000", "ukprn": "",
            "sen_setting": "", "placement_rank": "1", "entry_date": "01/09/2024",
            "leaving_date": "", "sen_unit_indicator": "N",
            "resourced_provision_indicator": "Y", "srp_designation": "ASD"})
        tables["annual_review.csv"].append({
            "review_id": str(1000 * i + 2), "plan_id": plan, "review_meeting_date": "01/03/2025",
            "review_outcome": "M", "review_decision_date": "10/03/2025"})
    return tables


def clean_counts(count: int) -> dict[str, int]:
    return {name: count * (2 if name == "sen_need.csv" else 1) for name in TABLES}


@pytest.fixture
def env(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    return connect(), landing, tmp_path / "archive"


def load(env, tables):
    con, landing, archive = env
    write_extract(landing, D1, tables)
    summary = ingest_synergy(con, landing, archive)
    assert_registry_balanced(con)
    return summary


def bronze_counts(con) -> dict[str, int]:
    return {name: con.execute(f"SELECT count(*) FROM bronze.{table}").fetchone()[0]
            for name, table in TABLES.items()}


def problems(con, name: str) -> list[tuple]:
    return [(e["row_number"], e["column_name"], e["rule"], e["severity"])
            for e in load_errors(con, f"synergy/{D1}/{name}")]


def messages(con, name: str) -> list[str]:
    return [e["message"] for e in load_errors(con, f"synergy/{D1}/{name}")]


def extract_row(con) -> dict:
    [row] = rows(con, "SELECT persons_cascaded, file_counts FROM bronze.synergy_extracts")
    counts = json.loads(row["file_counts"])
    return {"persons": row["persons_cascaded"],
            "cascaded": {name: counts[name]["cascaded"] for name in TABLES}}


def wrong_check_letter(value: str) -> str:
    return ("B" if value[0] != "B" else "C") + value[1:]


# --- an invalid optional value is blanked; the child stays ----------------------------------

def test_wrong_upn_check_letter_keeps_the_child_and_all_their_records(env):
    con, _, _ = env
    tables = children(3)
    bad = wrong_check_letter(upn(2))
    tables["person.csv"][1]["upn"] = bad
    summary = load(env, tables)

    assert bronze_counts(con) == clean_counts(3)  # person, plans, needs, placements, reviews
    assert rows(con, "SELECT person_id, upn FROM bronze.synergy_person ORDER BY 1") == [
        {"person_id": "1", "upn": upn(1)}, {"person_id": "2", "upn": None},
        {"person_id": "3", "upn": upn(3)}]
    [warning] = load_errors(con)
    assert (warning["source_file"], warning["row_number"], warning["column_name"],
            warning["rule"], warning["severity"], warning["personal"]) == (
        f"synergy/{D1}/person.csv", 3, "upn", "invalid_upn", "warning", True)
    assert warning["message"] == (f"synergy/{D1}/person.csv row 3, column upn: the value is not"
                                  " a valid UPN (the check letter is wrong)" + BLANKED)
    assert bad not in warning["message"]
    assert json.loads(warning["raw_record"])["upn"] == bad  # what arrived is kept in bronze
    assert (summary.rows_rejected, summary.errors, summary.warnings) == (0, 0, 1)
    assert extract_row(con) == {"persons": 0, "cascaded": dict.fromkeys(TABLES, 0)}
    # silver's upn_key is pseudonym('upn', upn): NULL for a blanked UPN, like a child without
    assert pseudonym("development key", "upn", None) is None


# an invalid value for each kind of rule
INVALID = {"int": "x1", "decimal": "1,5", "date": "31/02/2024", "flag": "maybe",
           "code": "??", "urn": "12345", "ukprn": "1234", "academic_year": "2024/26"}


def invalid_value(f: contract.Field) -> str:
    return wrong_check_letter(upn(1)) if f.kind == "upn" else INVALID[f.kind]


def blankable(source: contract.CsvSource) -> list[contract.Field]:
    return [f for f in source.fields if f.blanks_invalid and f.kind != "text"]


def test_every_optional_synergy_field_is_blanked_not_rejected(env):
    con, _, _ = env
    tables = children(2)
    expected = {}
    for source in contract.SYNERGY_FILES:
        for f in blankable(source):
            tables[source.file_name][0][f.name] = invalid_value(f)
            expected.setdefault(source.file_name, []).append(f.name)
    summary = load(env, tables)

    assert bronze_counts(con) == clean_counts(2)
    assert summary.rows_rejected == summary.errors == 0
    for source in contract.SYNERGY_FILES:
        names = expected.get(source.file_name, [])
        found = problems(con, source.file_name)
        assert [(row, column, severity) for row, column, _, severity in found] == sorted(
            (2, name, "warning") for name in names), source.file_name
        if names:
            [first] = rows(con, f"SELECT {', '.join(names)} FROM bronze.{source.name}"
                                f" ORDER BY _row_number LIMIT 1")
            assert first == dict.fromkeys(names), source.file_name
    # the decisions the contract documents
    assert expected == {
        "person.csv": ["upn", "ethnicity", "home_easting", "home_northing", "home_district"],
        "request.csv": ["request_source", "rya", "request_outcome", "request_outcome_date"],
        "assessment.csv": ["assessment_outcome", "assessment_outcome_date", "week20_exception"],
        "named_plan.csv": ["assessment_id", "cease_reason"],
        "placement.csv": ["sen_unit_indicator", "resourced_provision_indicator",
                          "srp_designation"],
        "annual_review.csv": ["review_outcome", "review_decision_date"],
    }


def test_keys_required_values_and_required_foreign_keys_still_reject_the_row():
    for source in contract.SYNERGY_FILES + (contract.GIAS, contract.SRP_REGISTER,
                                            contract.DFE_SEN2_MI):
        must_reject = set(source.key) | set(source.exactly_one_of) | {
            fk.column for fk in source.foreign_keys if not fk.optional}
        for name in must_reject:
            assert not source.field(name).blanks_invalid, (source.name, name)
        for f in source.fields:
            if f.required and not f.blank_allowed:
                assert not f.blanks_invalid, (source.name, f.name)
    # a blank would say something false: still active / still on roll
    assert not contract.SYNERGY_NAMED_PLAN.field("cease_date").blanks_invalid
    assert not contract.SYNERGY_PLACEMENT.field("leaving_date").blanks_invalid


def test_optional_values_of_gias_and_the_srp_register_are_blanked(env):
    con, landing, archive = env
    gias = gias_row("118000")
    gias_fields = blankable(contract.GIAS)
    for f in gias_fields:
        gias[f.name] = invalid_value(f)
    write(landing / "gias" / "edubase_20251001.csv",
          csv_bytes([gias, gias_row("118001")], GIAS_HEADER, encoding="cp1252"))
    srp = srp_row("S1", sla_start="31/02/2024", sla_end="someday")
    write(landing / "srp_register" / "srp_register_2024-25.csv",
          csv_bytes([srp, srp_row("S2")], SRP_HEADER))
    gias_summary = ingest_gias(con, landing, archive)
    srp_summary = ingest_srp_register(con, landing, archive)
    assert_registry_balanced(con)

    assert (gias_summary.rows_loaded, gias_summary.rows_rejected) == (2, 0)
    assert (srp_summary.rows_loaded, srp_summary.rows_rejected) == (2, 0)
    gias_errors = load_errors(con, "gias/edubase_20251001.csv")
    assert sorted((e["row_number"], e["column_name"], e["severity"]) for e in gias_errors) == \
        sorted((2, f.name, "warning") for f in gias_fields)
    assert len(gias_fields) == 9
    [school] = rows(con, "SELECT * FROM bronze.gias_establishment WHERE urn = '118000'")
    assert all(school[contract.gias_column_name(f.name)] is None for f in gias_fields)
    assert [(e["row_number"], e["column_name"], e["rule"], e["severity"])
            for e in load_errors(con, "srp_register/srp_register_2024-25.csv")] == [
        (2, "sla_end", "invalid_date", "warning"), (2, "sla_start", "invalid_date", "warning")]
    assert rows(con, "SELECT srp_id, sla_start, sla_end FROM bronze.srp_register"
                     " ORDER BY srp_id") == [
        {"srp_id": "S1", "sla_start": None, "sla_end": None},
        {"srp_id": "S2", "sla_start": "01/09/2024", "sla_end": "31/08/2025"}]


# --- an unusable row takes the rows that depend on it, each naming it ----------------------

def test_unusable_person_cascades_and_each_error_names_the_parent_row(env):
    con, _, _ = env
    tables = children(3)
    tables["person.csv"][1]["date_of_birth"] = "31/02/2014"  # child 2, person row 3
    summary = load(env, tables)

    assert bronze_counts(con) == clean_counts(2)  # everything of child 2 went, nothing else
    assert problems(con, "person.csv") == [(3, "date_of_birth", "invalid_date", "error")]
    expected = {
        "request.csv": [(3, "person_id", "'2'", "person row 3 of person.csv", "invalid_date on"
                         " date_of_birth")],
        "assessment.csv": [(3, "request_id", "'20'", "request row 3 of request.csv",
                            "orphan_foreign_key on person_id")],
        "named_plan.csv": [(3, "person_id", "'2'", "person row 3 of person.csv",
                            "invalid_date on date_of_birth")],
        "sen_need.csv": [(row, "plan_id", "'2000'", "named_plan row 3 of named_plan.csv",
                          "orphan_foreign_key on person_id") for row in (4, 5)],
        "placement.csv": [(3, "plan_id", "'2000'", "named_plan row 3 of named_plan.csv",
                           "orphan_foreign_key on person_id")],
        "annual_review.csv": [(3, "plan_id", "'2000'", "named_plan row 3 of named_plan.csv",
                               "orphan_foreign_key on person_id")],
    }
    for name, errors in expected.items():
        assert problems(con, name) == [(row, column, "orphan_foreign_key", "error")
                                       for row, column, *_ in errors], name
        assert messages(con, name) == [
            f"synergy/{D1}/{name} row {row}, column {column}: {value} refers to a row that was"
            f" not loaded: {parent} was rejected (rule {rule}), so this row was rejected with it"
            for row, column, value, parent, rule in errors], name
    every_message = " ".join(e["message"] for e in load_errors(con))
    assert "31/02/2014" not in every_message and "Smith2" not in every_message
    assert summary.rows_rejected == 8
    assert extract_row(con) == {"persons": 1, "cascaded": {
        "person.csv": 0, "request.csv": 1, "assessment.csv": 1, "named_plan.csv": 1,
        "sen_need.csv": 2, "placement.csv": 1, "annual_review.csv": 1}}


def test_rejected_plan_takes_its_needs_placement_and_review_but_not_the_child(env):
    con, _, _ = env
    tables = children(2)
    tables["named_plan.csv"][0]["start_date"] = "soon"
    load(env, tables)

    counts = bronze_counts(con)
    assert counts == {**clean_counts(2), "named_plan.csv": 1, "sen_need.csv": 2,
                      "placement.csv": 1, "annual_review.csv": 1}
    assert problems(con, "named_plan.csv") == [(2, "start_date", "invalid_date", "error")]
    assert messages(con, "placement.csv") == [
        f"synergy/{D1}/placement.csv row 2, column plan_id: '1000' refers to a row that was not"
        " loaded: named_plan row 2 of named_plan.csv was rejected (rule invalid_date on"
        " start_date), so this row was rejected with it"]
    assert extract_row(con)["persons"] == 1


def test_missing_person_id_orphans_rows_it_cannot_be_linked_to(env):
    """A blank key links the row to nothing: its would-be children are plain orphans (their
    person_id matches no row at all); the rows below them name those rejected rows."""
    con, _, _ = env
    tables = children(2)
    tables["person.csv"][1]["person_id"] = ""
    load(env, tables)

    assert problems(con, "person.csv") == [(3, "person_id", "required", "error")]
    assert messages(con, "request.csv") == [
        f"synergy/{D1}/request.csv row 3, column person_id: '2' does not match any person_id"
        " loaded from person.csv in the same extract"]
    assert bronze_counts(con) == clean_counts(1)
    assert "request row 3 of request.csv was rejected (rule orphan_foreign_key on person_id)" \
        in messages(con, "assessment.csv")[0]
    assert extract_row(con)["persons"] == 1  # child 2's assessment, needs, placement, review


def test_optional_foreign_key_to_a_rejected_row_is_blanked_and_the_plan_kept(env):
    con, _, _ = env
    tables = children(2)
    tables["assessment.csv"][0]["request_id"] = "ten"  # assessment 100 rejected
    load(env, tables)

    assert bronze_counts(con) == {**clean_counts(2), "assessment.csv": 1}
    assert problems(con, "named_plan.csv") == [(2, "assessment_id", "orphan_foreign_key",
                                                "warning")]
    assert messages(con, "named_plan.csv") == [
        f"synergy/{D1}/named_plan.csv row 2, column assessment_id: '100' refers to a row that"
        " was not loaded: assessment row 2 of assessment.csv was rejected (rule not_an_integer"
        " on request_id)" + BLANKED]
    assert rows(con, "SELECT plan_id, assessment_id FROM bronze.synergy_named_plan"
                     " ORDER BY 1") == [{"plan_id": "1000", "assessment_id": None},
                                        {"plan_id": "2000", "assessment_id": "200"}]
    assert extract_row(con)["persons"] == 0


def test_a_blanked_value_on_a_row_rejected_later_is_reported_as_an_error(env):
    con, _, _ = env
    tables = children(2)
    tables["person.csv"][0]["sex"] = "X"
    tables["request.csv"][0]["rya"] = "maybe"  # would be blanked, but the request goes anyway
    load(env, tables)

    assert problems(con, "request.csv") == [(2, "person_id", "orphan_foreign_key", "error"),
                                            (2, "rya", "invalid_flag", "error")]
    assert not any(m.endswith(BLANKED) for m in messages(con, "request.csv"))


# --- the report's data-quality appendix -----------------------------------------------------

def quality_section(tmp_path, tables) -> str:
    """The data-quality appendix of a real report on a warehouse that loaded ``tables``."""
    warehouse = tmp_path / "warehouse.duckdb"
    landing = tmp_path / "landing"
    write_extract(landing, D1, tables)
    with duckdb.connect(str(warehouse)) as con:
        ingest_synergy(con, landing, tmp_path / "archive")
    index = build_report(warehouse, tmp_path / "report",
                         generated_at=dt.datetime(2025, 10, 2, tzinfo=dt.timezone.utc))
    html = index.read_text(encoding="utf-8")
    return html[html.index('<section id="data-quality"'):]


def appendix(tmp_path, tables) -> list[list[str]]:
    rows_ = table_rows(quality_section(tmp_path, tables))
    start = rows_.index(["Left the figures through a cascade", "Count"])
    return rows_[start + 1:start + 8]


def test_appendix_counts_children_who_left_the_figures_through_cascades(tmp_path):
    tables = children(8)
    for child in tables["person.csv"][:6]:
        child["date_of_birth"] = "1 May 2014"
    assert appendix(tmp_path, tables) == [
        ["Children with records removed", "6"],
        ["request.csv rows", "6"],
        ["assessment.csv rows", "6"],
        ["named_plan.csv rows", "6"],
        ["sen_need.csv rows", "12"],
        ["placement.csv rows", "6"],
        ["annual_review.csv rows", "6"],
    ]


def test_appendix_hides_small_counts_of_children(tmp_path):
    tables = children(3)
    tables["person.csv"][0]["date_of_birth"] = "1 May 2014"
    assert appendix(tmp_path, tables)[:3] == [
        ["Children with records removed", "c"], ["request.csv rows", "c"],
        ["assessment.csv rows", "c"]]


def test_appendix_says_when_no_record_left_through_a_cascade(tmp_path):
    tables = children(2)
    tables["person.csv"][0]["upn"] = wrong_check_letter(upn(1))
    quality = quality_section(tmp_path, tables)
    assert ("No records left the figures through a cascade in the Synergy extract of"
            " 01 October 2025.") in quality
    assert ["synergy", "invalid_upn", "warning", "1"] in table_rows(quality)
