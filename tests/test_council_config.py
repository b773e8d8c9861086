"""The council configuration (orchestration/council.py): both shipped files load, and every
validation rule stops a broken file with an error naming the file, the key and the rule."""

from __future__ import annotations

import copy
import tomllib

import pytest

from orchestration import council
from orchestration.council import COUNCILS_DIR, CouncilConfigError, parse

KENT_FILE = COUNCILS_DIR / "886-kent.toml"


@pytest.fixture(scope="module")
def kent_raw() -> dict:
    return tomllib.loads(KENT_FILE.read_text(encoding="utf-8"))


def test_kent_is_the_default_and_matches_what_was_built_in(monkeypatch):
    monkeypatch.delenv("SEND_COUNCIL", raising=False)
    kent = council.current()
    assert kent.path == KENT_FILE
    assert (kent.la_code, kent.name, kent.full_name, kent.region) == (
        "886", "Kent", "Kent County Council", "South East")
    assert kent.areas == ("North Kent", "West Kent", "East Kent", "South Kent")
    assert len(kent.districts) == 12
    assert {d.name: d.lad_code for d in kent.districts}["Canterbury"] == "E07000106"
    assert [d.name for d in kent.districts if d.pathway_review_focus] == [
        "Gravesham", "Sevenoaks", "Maidstone", "Thanet", "Ashford", "Folkestone and Hythe"]
    assert kent.funding_envelope == (council.Envelope(
        "2020/21", 22_000_000.0,
        "KCC SRP review cabinet report (2024): about £22m a year of the High Needs Block is spent on SRPs"),)
    assert {t.kpi for t in kent.kpi_thresholds} == set(council.KPIS)
    assert len(kent.published_comparators) == 16
    assert kent.home_district_codes[-1] == "Out of county"


def test_east_sussex_selected_by_la_code_or_path(monkeypatch):
    monkeypatch.setenv("SEND_COUNCIL", "845")
    by_code = council.current()
    assert (by_code.la_code, by_code.name) == ("845", "East Sussex")
    assert {d.name: d.lad_code for d in by_code.districts} == {
        "Eastbourne": "E07000061", "Hastings": "E07000062", "Lewes": "E07000063",
        "Rother": "E07000064", "Wealden": "E07000065"}
    assert by_code.published_comparators == ()
    monkeypatch.setenv("SEND_COUNCIL", str(by_code.path))
    assert council.current() == by_code


@pytest.mark.parametrize("selector", ["999", "./no-such-council.toml"])
def test_unknown_selector_is_an_error(selector):
    with pytest.raises(CouncilConfigError) as err:
        council.council_path(selector)
    assert err.value.key == "SEND_COUNCIL" and err.value.rule == "council_file"


def test_toml_syntax_error_names_the_file(tmp_path):
    bad = tmp_path / "123-bad.toml"
    bad.write_text("[council\nla_code = 1\n", encoding="utf-8")
    with pytest.raises(CouncilConfigError) as err:
        council.load(bad)
    assert err.value.rule == "toml_syntax" and str(bad) in str(err.value)


def _set(raw: dict, dotted: str, value) -> None:
    """Set raw[a][b]... ; list indices as numbers; value DELETE removes the key."""
    *parents, last = dotted.split(".")
    target = raw
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value


DELETE = object()
CASES = [  # (what changes, value, key named in the error, rule)
    ("council", DELETE, "council", "missing_key"),
    ("kpi_thresholds", DELETE, "kpi_thresholds", "missing_key"),
    ("colour", {"x": 1}, "colour", "unknown_key"),
    ("council.name", DELETE, "council.name", "missing_key"),
    ("council.nickname", "KCC", "council.nickname", "unknown_key"),
    ("council.la_code", "88", "council.la_code", "la_code_format"),
    ("council.la_code", 886, "council.la_code", "text"),
    ("council.name", "  ", "council.name", "text"),
    ("council.name", "Out of county", "council.name", "reserved_name"),
    ("council.name", "Thanet", "council.name", "name_clash"),
    ("districts", [], "districts", "empty"),
    ("districts", {"name": "Dover"}, "districts", "array_of_tables"),
    ("districts.1.name", "Dartford", "districts[1].name", "duplicate_district"),
    ("districts.1.lad_code", "E07000107", "districts[1].lad_code", "duplicate_lad_code"),
    ("districts.0.lad_code", "E10000016", "districts[0].lad_code", "lad_code_format"),
    ("districts.0.area", "", "districts[0].area", "district_without_area"),
    ("districts.0.area", DELETE, "districts[0].area", "missing_key"),
    ("districts.0.area", "Unknown", "districts[0].area", "reserved_name"),
    ("districts.0.pathway_review_focus", "yes", "districts[0].pathway_review_focus", "boolean"),
    ("funding_envelope.0.gbp", 0, "funding_envelope[0].gbp", "envelope_positive"),
    ("funding_envelope.0.gbp", -5, "funding_envelope[0].gbp", "envelope_positive"),
    ("funding_envelope.0.gbp", "22m", "funding_envelope[0].gbp", "envelope_positive"),
    ("funding_envelope.0.gbp", True, "funding_envelope[0].gbp", "envelope_positive"),
    ("funding_envelope.0.from_academic_year", "2020/22",
     "funding_envelope[0].from_academic_year", "academic_year"),
    ("kpi_thresholds.0.kpi", "attendance", "kpi_thresholds[0].kpi", "unknown_kpi"),
    ("kpi_thresholds.1.kpi", "attendance_pct", "kpi_thresholds[1].kpi", "duplicate_kpi"),
    ("kpi_thresholds.7", DELETE, "kpi_thresholds", "missing_kpi"),
    ("kpi_thresholds.0.direction", "up", "kpi_thresholds[0].direction", "direction"),
    ("kpi_thresholds.0.green_from", "92", "kpi_thresholds[0].green_from", "number"),
    ("kpi_thresholds.0.green_from", 80, "kpi_thresholds[0]", "thresholds_direction"),  # higher: 80 < 88
    ("kpi_thresholds.1.amber_from", 0.2, "kpi_thresholds[1]", "thresholds_direction"),  # lower: 0.5 > 0.2
    ("published_comparators.0.share_pct", 101, "published_comparators[0].share_pct", "share_pct_range"),
    ("published_comparators.0.population", "pupils", "published_comparators[0].population", "population"),
    ("published_comparators.0.dimension", "age", "published_comparators[0].dimension", "dimension"),
    ("published_comparators.0.published", "16 May 2024", "published_comparators[0].published", "date"),
    ("published_comparators.1.category", "M", "published_comparators[1].population, dimension, category",
     "duplicate_comparator"),
]


@pytest.mark.parametrize("dotted, value, key, rule", CASES, ids=[f"{c[3]}:{c[0]}" for c in CASES])
def test_each_rule_names_file_key_and_rule(kent_raw, dotted, value, key, rule):
    raw = copy.deepcopy(kent_raw)
    _set(raw, dotted, value)
    with pytest.raises(CouncilConfigError) as err:
        parse(raw, KENT_FILE)
    assert (err.value.key, err.value.rule) == (key, rule)
    message = str(err.value)
    assert message.startswith(f"{KENT_FILE}: {key}: ") and message.endswith(f"(rule {rule})")


def test_equal_thresholds_and_no_comparators_are_allowed(kent_raw):
    raw = copy.deepcopy(kent_raw)
    _set(raw, "kpi_thresholds.0.amber_from", 92)
    del raw["published_comparators"]
    parsed = parse(raw, KENT_FILE)
    assert parsed.kpi_thresholds[0].amber_from == 92.0 and parsed.published_comparators == ()


def test_fill_values_puts_the_councils_values_into_a_suite(kent_raw):
    kent = parse(kent_raw, KENT_FILE)
    suite = [{"kwargs": {"column": "home_district", "value_set": "$council.home_district_codes"}},
             {"kwargs": {"value_set": ["$other", 1]}}]
    filled = council.fill_values(suite, kent)
    assert filled[0]["kwargs"]["value_set"] == [*kent.district_names, "Out of county"]
    assert filled[1] == suite[1]


# --- the configuration in the warehouse (orchestration/council_tables.py) -------------------

def test_council_tables_hold_the_configuration_and_feed_the_build_fingerprint(tmp_path, kent_raw):
    import duckdb

    from orchestration.build_state import inputs_fingerprint
    from orchestration.council_tables import ensure_council_tables, write_council_tables

    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {}, "macros": {}}')
    kent, east_sussex = parse(kent_raw, KENT_FILE), council.load(council.council_path("845"))
    with duckdb.connect() as con:
        before = inputs_fingerprint(con, manifest, "key")
        assert write_council_tables(con, kent) == {
            "la": 1, "districts": 12, "funding_envelope": 1, "kpi_thresholds": 8, "published_comparators": 16}
        assert con.execute("select * from council.la").fetchall() == [
            ("886", "Kent", "Kent County Council", "South East", "886-kent.toml")]
        assert con.execute("select * from council.districts where district = 'Canterbury'").fetchall() == [
            (7, "Canterbury", "E07000106", "East Kent", False)]
        with_kent = inputs_fingerprint(con, manifest, "key")
        write_council_tables(con, east_sussex)
        with_east_sussex = inputs_fingerprint(con, manifest, "key")
        ensure_council_tables(con)  # present already: left as they are
        assert con.execute("select la_code from council.la").fetchall() == [("845",)]
        assert inputs_fingerprint(con, manifest, "key") == with_east_sussex
    assert len({before, with_kent, with_east_sussex}) == 3  # a changed council rebuilds dbt
