"""The one declaration of disclosure control (docs/DISCLOSURE.md): every numeric gold column of a
real built warehouse has a valid role, the validator rejects bad declarations, and every gold
table keeps the additive structure it declares (and the check sees a table that does not).

The session's small-sample warehouse is read (conftest's small_refreshed: one full refresh),
and the declarations are read from a manifest `dbt parse` writes for this module from the yml
as it is now."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.disclosure.declarations import (
    DeclarationError,
    load_declarations,
    load_rules,
    undeclared_numeric_columns,
    validate_table,
    warehouse_column_types,
)
from orchestration.disclosure.structure import structure_mismatches
from tests.conftest import run_dbt


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("disclosure_manifest")
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "PATH": f"{dbt.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run_dbt(root, "parse", "--quiet", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "target" / "manifest.json"


@pytest.fixture(scope="module")
def warehouse(small_refreshed) -> Path:
    """The session's small-sample refresh (read only here)."""
    return small_refreshed / "warehouse.duckdb"


@pytest.fixture(scope="module")
def gold_types(warehouse) -> dict[str, dict[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return warehouse_column_types(con)


# (a) every numeric gold column of a real build is declared, validly


def test_every_numeric_gold_column_of_a_built_warehouse_has_a_valid_declaration(manifest, gold_types):
    declarations = load_declarations(manifest)  # raises DeclarationError listing every problem
    assert sorted(declarations.tables) == sorted(gold_types) == [
        "ehcp_caseload_profile", "ehcp_placement_by_age", "ehcp_timeliness",
        "phase_transfer_pathways", "srp_demand_forecast", "srp_finance", "srp_kpis",
        "srp_places", "srp_returns_reconciliation", "srp_travel",
    ]
    assert undeclared_numeric_columns(declarations, gold_types) == []
    for table, declaration in declarations.tables.items():
        built = set(gold_types[table])
        assert set(declaration.roles) <= built, f"{table}: declared columns not built"
        assert set(declaration.structure.columns) <= built, f"{table}: structure names columns not built"


def test_a_numeric_column_without_a_declaration_is_named(manifest, gold_types, tmp_path):
    """The check above can fail: drop one column's declaration from a copy of the manifest."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    column = data["nodes"]["model.send_data_platform.srp_travel"]["columns"]["p90_distance_km"]
    column["config"]["meta"].pop("disclosure")
    column["meta"].pop("disclosure", None)
    copy = tmp_path / "manifest.json"
    copy.write_text(json.dumps(data), encoding="utf-8")

    declarations = load_declarations(copy)
    assert undeclared_numeric_columns(declarations, gold_types) == ["srp_travel.p90_distance_km (DOUBLE)"]


def test_a_base_without_a_declaration_fails_the_whole_load(manifest, tmp_path):
    data = json.loads(manifest.read_text(encoding="utf-8"))
    column = data["nodes"]["model.send_data_platform.srp_places"]["columns"]["pupils_on_roll"]
    column["config"]["meta"].pop("disclosure")
    column["meta"].pop("disclosure", None)
    copy = tmp_path / "manifest.json"
    copy.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(DeclarationError) as raised:
        load_declarations(copy)
    assert raised.value.problems == [
        "srp_places.pupils_on_roll_returned: hide_with 'pupils_on_roll': belongs to role count and names a "
        "count column of the table",
        "srp_places.occupancy_pct: base 'pupils_on_roll' has no disclosure role",
        "srp_places.vacancies: base 'pupils_on_roll' has no disclosure role",
        "srp_places.over_subscription: base 'pupils_on_roll' has no disclosure role",
        "srp_places (model): additive column 'pupils_on_roll' has no disclosure role",
    ]


def test_roles_follow_the_sql(manifest):
    declarations = load_declarations(manifest)
    places = declarations.tables["srp_places"]
    assert places.roles["pupils_on_roll"].role == "count"
    assert places.roles["commissioned_places"].role == "not_about_people"
    assert places.roles["vacancies"].hidden_with == ("commissioned_places", "pupils_on_roll")
    assert places.roles["occupancy_pct"].hidden_with == ("pupils_on_roll", "commissioned_places")
    # top-up = rate x pupils, and funding = place funding + top-up: both reveal the pupils
    assert declarations.role("srp_finance", "council_top_up_gbp").role == "money_reveals_count"
    assert declarations.count_bases("srp_finance", "council_funding_gbp") == ("pupils_on_roll",)
    assert declarations.count_bases("srp_finance", "envelope_remaining_gbp") == ("pupils_on_roll",)
    assert declarations.count_bases("srp_finance", "council_place_funding_gbp") == ()
    # a RAG label of a rate is hidden with the rate's counts
    assert declarations.count_bases("srp_kpis", "annual_reviews_on_time_pct_rag") == (
        "annual_reviews_due", "annual_reviews_on_time")
    assert declarations.role("ehcp_timeliness", "dfe_england_within_20_weeks_pct").role == "published_elsewhere"


# (b) the validator on small declarations


TABLE = {
    "levels": {"column": "level", "key": "level_key", "hierarchy": ["school", "county"],
               "parent_key": {"school": None}, "period": "academic_year"},
    "categories": [{"column": "designation", "total": "All", "total_from_level": "county"}],
    "additive": ["pupils", "places"],
}
COLUMNS = ["level", "level_key", "academic_year", "designation", "pupils", "places", "share", "gap"]


def problems(columns: dict, table: dict | None = None) -> list[str]:
    return validate_table("t", TABLE if table is None else table, columns, COLUMNS)


def test_valid_declarations_have_no_problems():
    assert problems({
        "pupils": {"role": "count"},
        "places": {"role": "not_about_people"},
        "share": {"role": "rate", "numerator": "pupils", "denominator": "places"},
        "gap": {"role": "derived", "bases": ["places", "pupils"]},
    }) == []


def test_an_unknown_role_is_rejected():
    assert problems({"pupils": {"role": "headcount"}, "places": {"role": "not_about_people"}}) == [
        "t.pupils: unknown role 'headcount' (roles: count, derived, money_reveals_count, "
        "not_about_people, published_elsewhere, rate)",
    ]


def test_a_base_that_is_not_a_column_is_rejected():
    assert problems({
        "pupils": {"role": "count"}, "places": {"role": "not_about_people"},
        "gap": {"role": "derived", "bases": ["places", "pupil"]},
    }) == ["t.gap: base 'pupil' is not a column of the table"]


def test_a_rate_without_a_denominator_is_rejected():
    assert problems({
        "pupils": {"role": "count"}, "places": {"role": "not_about_people"},
        "share": {"role": "rate", "numerator": "pupils"},
    }) == ["t.share: rate needs a denominator"]


def test_derived_without_bases_circular_bases_and_unknown_keys_are_rejected():
    assert problems({
        "pupils": {"role": "count"}, "places": {"role": "not_about_people"},
        "share": {"role": "derived", "bases": ["gap"], "base": "pupils"},
        "gap": {"role": "derived", "bases": ["share"]},
    }) == [
        "t.share: unknown keys ['base']",
        "t.gap: bases are circular",
        "t.share: bases are circular",
    ]
    assert problems({"pupils": {"role": "count"}, "places": {"role": "derived"}}) == [
        "t.places: role derived needs bases (the columns it is computed from)",
    ]
    assert problems({"pupils": {"role": "count", "bases": ["places"]}, "places": {"role": "not_about_people"}}) == [
        "t.pupils: bases belong to roles derived and money_reveals_count",
    ]


def test_the_structure_must_exist_and_name_real_columns():
    columns = {"pupils": {"role": "count"}, "places": {"role": "not_about_people"},
               "share": {"role": "rate", "numerator": "pupils", "denominator": "places"}}
    assert problems(columns, table={}) == ["t (model): no model-level disclosure (additive structure) declared"]
    bad = {**TABLE, "categories": [{"column": "phase", "total": "All", "total_from_level": "district"}],
           "additive": ["pupils", "share"]}
    assert problems(columns, bad) == [
        "t (model): category phase: total_from_level must be one of ['school', 'county']",
        "t (model): additive column 'share' has role rate, which never adds up",
        "t (model): structure names 'phase', not a column of the table",
    ]


def test_thresholds_are_reference_data():
    rules = load_rules()
    assert (rules.smallest_count_shown, rules.zero_shown) == (5, True)
    assert [count for count in range(7) if rules.hides(count)] == [1, 2, 3, 4]
    assert rules.protects(0, 3) and rules.protects(2, 5)
    assert not rules.protects(1, 4) and not rules.protects(3, 3)


# (c) the declared additive structure holds in the data, and the check sees when it does not


def test_every_gold_table_keeps_its_declared_structure(manifest, warehouse):
    declarations = load_declarations(manifest)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = {
            name: [str(m) for m in structure_mismatches(con, f"gold.{name}", table.structure)]
            for name, table in declarations.tables.items()
        }
    assert found == {name: [] for name in declarations.tables}


@pytest.fixture
def places_copy(warehouse):
    """An in-memory copy of gold.srp_places to corrupt."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as built (read_only)")
    con.execute("create table srp_places as select * from built.gold.srp_places")
    con.execute("detach built")
    yield con
    con.close()


def test_srp_places_structure_is_not_vacuous(places_copy):
    """The sample has every level, 'All' rows for phase and designation and several phases."""
    rows = places_copy.execute(
        "select level, count(*), count(distinct phase), count(*) filter (where designation = 'All') "
        "from srp_places group by level order by level"
    ).fetchall()
    levels = {level: (n, phases, all_rows) for level, n, phases, all_rows in rows}
    assert set(levels) == {"school", "district", "area", "county"}
    assert levels["school"][2] == 0 and levels["county"][2] > 0
    assert levels["school"][1] >= 2


def test_a_school_row_that_does_not_add_up_is_caught(manifest, places_copy):
    structure = load_declarations(manifest).tables["srp_places"].structure
    assert structure_mismatches(places_copy, "srp_places", structure) == []
    urn, district, year, phase, designation, pupils = places_copy.execute(
        "select urn, district, academic_year, phase, designation, pupils_on_roll from srp_places "
        "where level = 'school' order by academic_year desc, urn, designation limit 1"
    ).fetchall()[0]
    places_copy.execute(
        "update srp_places set pupils_on_roll = pupils_on_roll + 1 "
        "where level = 'school' and urn = ? and academic_year = ? and designation = ?",
        [urn, year, designation],
    )
    found = structure_mismatches(places_copy, "srp_places", structure)
    assert [(m.rule, m.column, m.keys, m.found - m.expected) for m in found] == [
        ("level school sums to level district", "pupils_on_roll", (district, year, phase, designation), -1),
    ]


def test_an_all_row_that_does_not_add_up_is_caught(manifest, places_copy):
    structure = load_declarations(manifest).tables["srp_places"].structure
    places_copy.execute(
        "update srp_places set vacancies = vacancies + 2 "
        "where level = 'county' and phase = 'All' and designation = 'All'"
    )
    found = structure_mismatches(places_copy, "srp_places", structure)
    years = [year for (year,) in places_copy.execute(
        "select distinct academic_year from srp_places order by 1").fetchall()]
    assert sorted((m.rule, m.column, m.keys[0], m.found - m.expected) for m in found) == sorted(
        [(f"{category} 'All' = sum of its parts at level county", "vacancies", "Kent", 2)
         for category in ("phase", "designation") for _year in years]
    )


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("same_as", "srp_places.commissioned_places", "same_as 'srp_places.commissioned_places' is not a count column"),
    ("same_as", "no_such_table.pupils_on_roll", "same_as 'no_such_table.pupils_on_roll' is not a count column"),
    ("hide_with", ["school_name"], "hide_with 'school_name': belongs to role count"),
])
def test_same_as_and_hide_with_must_name_counts(manifest, tmp_path, key, value, problem):
    data = json.loads(manifest.read_text(encoding="utf-8"))
    column = data["nodes"]["model.send_data_platform.srp_travel"]["columns"]["pupils_on_roll"]
    column["config"]["meta"]["disclosure"][key] = value
    column["meta"].pop("disclosure", None)
    copy = tmp_path / "manifest.json"
    copy.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DeclarationError) as raised:
        load_declarations(copy)
    assert [p for p in raised.value.problems if problem in p] != [], raised.value.problems
