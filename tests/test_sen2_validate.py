"""SEN2 structural rules: each rule fails and passes, dates at their boundaries, 2024 vs 2025
items and codes, and no personal value in any problem. Works on records (no files) except
where a reader's problem is the point; fast, no warehouse."""

from __future__ import annotations

import copy
import datetime as dt

import duckdb
import pytest

from orchestration.sen2 import spec
from orchestration.sen2.blade import read_blade
from orchestration.sen2.example import example_return, reference_date
from orchestration.sen2 import validate as sen2_validate
from orchestration.sen2.writer import write_blade

REFERENCE_2025 = reference_date(2025)  # 16/01/2025


@pytest.fixture(scope="module")
def clean():
    return {year: example_return(4, year) for year in spec.YEARS}


_SHARED: dict = {}


@pytest.fixture(scope="module", autouse=True)
def one_connection():
    """One DuckDB connection for the module's validations (opening one costs ~0.1 s)."""
    with duckdb.connect() as con:
        _SHARED["con"] = con
        yield con
        _SHARED.clear()


def validate(result):
    return sen2_validate.validate(result, _SHARED.get("con"))


def changed(clean, in_year: int, module: str, position: int, **values):
    result = copy.deepcopy(clean[in_year])
    result.records[module][position - 1].values.update(values)
    return result


def problems_of(result):
    return [(p.rule, p.severity, p.column) for p in validate(result)]


@pytest.mark.parametrize("year", spec.YEARS)
def test_clean_return_has_no_problems(clean, year):
    assert validate(clean[year]) == []


def test_reference_date_is_the_census():
    assert REFERENCE_2025 == dt.date(2025, 1, 16)


@pytest.mark.parametrize("module, item, value, rule", [
    ("person", "surname", None, "required"),
    ("person", "surname", "   ", "required"),
    ("requests", "receiveddate", None, "required"),
    ("sen_need", "sentype", "XYZ", "unknown_code"),
    ("requests", "rya", "Y", "unknown_code"),  # xs:boolean, not a Synergy flag
    ("requests", "receiveddate", "2024-02-30", "invalid_date"),
    ("requests", "receiveddate", "30/01/2024", "invalid_date"),
    ("plan_detail", "urn", "12345", "invalid_urn"),
    ("placement_detail", "placementrank", "0", "below_minimum"),
    ("sen_need", "sentyperank", "first", "not_an_integer"),
    ("active_plans", "transferla", "88", "invalid_la_code"),
    ("person", "upn", "A886000000001", "invalid_upn"),
])
def test_item_rules(clean, module, item, value, rule):
    result = changed(clean, 2025, module, 2, **{item: value})
    found = validate(result)
    assert [(p.rule, p.column) for p in found] == [(rule, item)]
    problem = found[0]
    number = spec.MODULE[module].number
    assert f"module {number} {spec.MODULE[module].title} record 2" in problem.message
    assert f"item {item}" in problem.message


def test_item_message_shows_a_non_personal_value(clean):
    [problem] = validate(changed(clean, 2025, "sen_need", 3, sentype="XYZ"))
    assert problem.value == "XYZ" and not problem.personal
    assert problem.message.startswith(
        "module 5c SEN need record 3 (person record 2), item sentype: 'XYZ' is not one of")


def test_blade_dates_as_collect_writes_them(clean):
    """COLLECT's Blade export writes dates as 2024-Feb-02 00:00:00: valid, and checked."""
    ok = changed(clean, 2025, "requests", 1, receiveddate="2024-Feb-29 00:00:00")
    assert validate(ok) == []
    bad = changed(clean, 2025, "requests", 1, receiveddate="2023-Feb-29 00:00:00")
    assert problems_of(bad) == [("invalid_date", "error", "receiveddate")]


@pytest.mark.parametrize("value, rule", [
    ("2025-01-16", None),  # the reference date itself
    ("2025-01-17", "future_date"),
    ("2014-09-01", None),  # EHC plans began
    ("2014-08-31", "out_of_range"),
])
def test_event_date_window(clean, value, rule):
    found = problems_of(changed(clean, 2025, "named_plan", 1, startdate=value))
    assert found == ([] if rule is None else [(rule, "error", "startdate")])


@pytest.mark.parametrize("value, rule", [
    ("1999-01-16", None),  # 26 years before the reference date
    ("1999-01-15", "out_of_range"),
    ("2025-01-16", None),
    ("2025-01-17", "future_date"),
])
def test_birth_date_window_and_it_is_never_shown(clean, value, rule):
    found = validate(changed(clean, 2025, "person", 1, personbirthdate=value))
    assert [(p.rule, p.column) for p in found] == ([] if rule is None
                                                   else [(rule, "personbirthdate")])
    for problem in found:
        assert problem.personal and problem.value is None
        assert value not in problem.message and "the value" in problem.message


def test_upn_check_letter_reuses_the_platform_rule_and_hides_the_upn(clean):
    upn = clean[2025].records["person"][0].values["upn"]
    wrong = ("A" if upn[0] != "A" else "B") + upn[1:]
    [problem] = validate(changed(clean, 2025, "person", 1, upn=wrong))
    assert (problem.rule, problem.personal, problem.value) == ("invalid_upn", True, None)
    assert problem.message == ("module 1 person record 1, item upn: the value is not a valid"
                               " UPN (the check letter is wrong)")


def test_one_person_per_identifier(clean):
    result = copy.deepcopy(clean[2025])
    people = result.records["person"]
    people[3].values["upn"] = people[1].values["upn"]
    people[2].values["uniquelearnernumber"] = "1234567890"
    people[3].values["uniquelearnernumber"] = "1234567890"
    found = validate(result)
    assert [(p.rule, p.column, p.row_number, p.value, p.personal) for p in found] == [
        ("duplicate_person", "upn", None, None, True),
        ("duplicate_person", "uniquelearnernumber", None, None, True)]
    assert "person record 4, item upn: the value is the same upn as person record 2" \
        in found[0].message
    assert "1234567890" not in found[1].message


def test_one_person_per_identifier_passes_for_different_people(clean):
    result = copy.deepcopy(clean[2025])
    for n, person in enumerate(result.records["person"]):
        person.values["uniquelearnernumber"] = f"100000000{n}"
    assert validate(result) == []


def test_one_of_groups(clean):
    no_identifier = changed(clean, 2025, "person", 2, upn=None)
    assert problems_of(no_identifier) == [("one_of_items", "error",
                                           "upn, uniquelearnernumber, upnunknown")]
    unknown_reason = changed(clean, 2025, "person", 2, upn=None, upnunknown="UN3")
    assert validate(unknown_reason) == []
    two_places = changed(clean, 2025, "placement_detail", 1, ukprn="10012345")
    [problem] = validate(two_places)
    assert problem.rule == "one_of_items"
    assert "exactly one of urn, ukprn, sensetting must be filled (found urn, ukprn)" \
        in problem.message
    setting_only = changed(clean, 2025, "placement_detail", 1, urn=None, sensetting="EHE")
    assert validate(setting_only) == []


def test_2025_names_in_a_2024_return_and_back(clean):
    """A 2024 return carrying 2025's sex, a review meeting and SEN type DS: sex and the
    review meeting are kept but flagged, gendercurrent is missing, DS is not a 2024 code."""
    result = copy.deepcopy(clean[2024])
    person = result.records["person"][0].values
    person["sex"] = person.pop("gendercurrent") and "M"
    result.records["active_plans"][0].values["reviewmeeting"] = "2023-10-01"
    result.records["sen_need"][0].values["sentype"] = "DS"
    assert sorted(problems_of(result)) == sorted([
        ("required", "error", "gendercurrent"),
        ("unexpected_item", "warning", "sex"),
        ("unexpected_item", "warning", "reviewmeeting"),
        ("unknown_code", "error", "sentype")])
    in_2025 = changed(clean, 2025, "sen_need", 1, sentype="DS")
    assert validate(in_2025) == []


def test_unexpected_unknown_item_is_treated_as_personal(clean):
    [problem] = validate(changed(clean, 2025, "person", 1, nickname="Bob"))
    assert (problem.rule, problem.severity, problem.value) == ("unexpected_item", "warning",
                                                               None)
    assert "Bob" not in problem.message


def test_header_rules(clean):
    assert problems_of(changed(clean, 2025, "header", 1, year="2023")) == [
        ("unsupported_year", "error", "year")]
    assert problems_of(changed(clean, 2025, "header", 1, referencedate="2026-01-15")) == [
        ("out_of_range", "error", "referencedate")]
    assert problems_of(changed(clean, 2025, "header", 1, collection="SEN1")) == [
        ("unknown_code", "error", "collection")]


def test_missing_parent_in_a_blade_set(clean, tmp_path):
    write_blade(clean[2025], tmp_path, dt.date(2025, 2, 3))
    [path] = tmp_path.glob("*_senneed.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("2,2,2,,1,")  # the second need, of active plan 1
    lines[2] = lines[2].replace(",,1,", ",,99,", 1)  # its activeplanstableid 1 -> 99
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = validate(read_blade(tmp_path))
    assert [(p.rule, p.column, p.row_number) for p in found] == [
        ("missing_parent", "activeplanstableid", 3)]
    assert found[0].message.startswith(f"{path.name} module 5c SEN need record 2, item")


def test_no_personal_value_in_any_problem(clean):
    """Break every personal item of every person: no message or value holds any of them."""
    result = copy.deepcopy(clean[2025])
    personal = [i.name for i in spec.items("person", 2025) if i.personal]
    secrets = []
    for n, person in enumerate(result.records["person"], start=1):
        person.values.update(surname=None, forename=None, personbirthdate=f"2030-01-{n:02d}",
                             upn=f"Z88600000000{n}", uniquelearnernumber="9999999999",
                             postcode=f"ZZ{n} 9ZZ")
        secrets += [v for k, v in person.values.items() if k in personal and v]
    found = validate(result)
    assert {p.rule for p in found} >= {"required", "future_date", "invalid_upn",
                                       "duplicate_person"}
    for problem in found:
        assert problem.value is None or problem.column not in personal
        assert not any(secret in problem.message for secret in secrets), problem.message
