"""Invariants that can fail (issue 17 item 5): each dbt test below passes on the SRP scenario
(tests/scenarios/srp_scenario.py) and fails once the warehouse is corrupted the way it guards
against. Every case corrupts its own copy of the built warehouse and runs only the dbt tests it
names, as the platform runs them (`dbt test`, a real process).

* uniqueness and relationships of silver_srp_census_pupils (one row per person x year x urn);
* gold's pupils equal silver_srp_census_pupils' rows, and gold's EHC plan holders equal
  silver_census_state's rows: a duplicated register row or age band fans a gold join out;
* level_totals_match / sums_match_county compare every level with the county over full outer
  joins: a missing level or a missing county row fails (an inner join let both pass);
* staging_is_sound: staging keeps one row per source key and every required value typed;
* assert_envelope_share_steady (issue 17 item 6, replacing envelope_used_share <= 10, which no
  data could break): the share of the funding envelope used moves by less than a quarter from
  one year to the next.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.scenarios import srp_scenario
from tests.conftest import run_dbt

GOLD_MODELS = ("srp_places", "srp_travel", "phase_transfer_pathways", "srp_demand_forecast",
               "srp_finance", "ehcp_caseload_profile")
PUPILS_MATCH = "assert_gold_pupils_match_silver_rows"
HOLDERS_MATCH = "assert_gold_holders_match_silver_rows"
PLACEMENT_OF_PUPIL = "assert_srp_census_pupils_have_their_placement"
UNIQUE_PUPIL = "unique_combination_silver_srp_census_pupils_person_key__academic_year__urn"
PUPIL_IS_A_PERSON = "relationships_silver_srp_census_pupils_person_key__person_key__ref_silver_person_"
PLACES_PUPILS_BY_LEVEL = "sums_match_county_srp_places_pupils_on_roll__phase_All_and_designation_All_"
PATHWAYS_YEAR6_BY_LEVEL = "level_totals_match_phase_transfer_pathways_year6_pupils__transfer_year__designation_All_"
STAGING_PLACEMENT = "staging_is_sound_stg_synergy__placement"
STAGING_REGISTER = "staging_is_sound_stg_srp__register"
ENVELOPE_STEADY = "assert_envelope_share_steady"  # severity warn: a warning counts as failing here
INVARIANTS = (PUPILS_MATCH, HOLDERS_MATCH, PLACEMENT_OF_PUPIL, UNIQUE_PUPIL, PUPIL_IS_A_PERSON,
              PLACES_PUPILS_BY_LEVEL, PATHWAYS_YEAR6_BY_LEVEL, STAGING_PLACEMENT, STAGING_REGISTER,
              ENVELOPE_STEADY)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("invariants"), srp_scenario.write_bronze,
                                  GOLD_MODELS)


def dbt(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    assert warehouse.name == "warehouse.duckdb"
    root = warehouse.parent
    return run_dbt(root, *args, env={**os.environ, "SEND_LANDING_DIR": str(root / "landing")})


def failing_invariants(warehouse: Path) -> set[str]:
    """Runs the invariants with `dbt test` against `warehouse`: the names of those that fail."""
    dbt(warehouse, "test", "--select", *INVARIANTS)
    results = json.loads((warehouse.parent / "target" / "run_results.json").read_text())["results"]
    names = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    assert set(names) == set(INVARIANTS), sorted(set(INVARIANTS) - set(names))
    assert not {n for n, status in names.items() if status not in ("pass", "fail", "warn")}, names
    return {name for name, status in names.items() if status in ("fail", "warn")}


def corrupted(built: Path, *statements: str) -> Path:
    """A copy of the built warehouse with `statements` applied to it. Every copy takes the same
    path (tests run one after another), so that dbt's partial parsing carries over from one
    case to the next (a new warehouse path is a new profile: a full parse)."""
    scratch = built.parent / "scratch"
    (scratch / "landing").mkdir(parents=True, exist_ok=True)
    (scratch / "landing" / "SAMPLE_DATA.json").write_text("{}")
    copy = scratch / "warehouse.duckdb"
    shutil.copy(built, copy)
    with duckdb.connect(str(copy)) as con:
        for statement in statements:
            con.execute(statement)
    return copy


def rebuilt(warehouse: Path, *models: str) -> Path:
    """Rebuilds only `models` (not their parents) over the corrupted warehouse."""
    result = dbt(warehouse, "run", "--select", *models)
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse


def test_every_invariant_holds_on_the_scenario(built):
    assert failing_invariants(corrupted(built)) == set()


def test_a_duplicated_srp_pupil_fails_uniqueness_and_the_gold_reconciliation(built):
    warehouse = corrupted(built, """
        insert into silver.silver_srp_census_pupils
        select * from silver.silver_srp_census_pupils order by all limit 1""")
    assert failing_invariants(warehouse) == {UNIQUE_PUPIL, PUPILS_MATCH}


def test_a_duplicated_register_row_inflating_gold_pupils_fails_the_reconciliation(built):
    """A second register row for an SRP that has pupils: gold.srp_places' join to the register
    fans out and counts them twice; silver still holds each pupil once."""
    warehouse = corrupted(built, f"""
        insert into silver.silver_srp
        select * from silver.silver_srp
        where urn = '{srp_scenario.P1}' and academic_year = '2024/25'""")
    rebuilt(warehouse, "srp_places", "srp_travel")
    assert PUPILS_MATCH in failing_invariants(warehouse)


def test_a_duplicated_age_band_inflating_gold_holders_fails_the_reconciliation(built):
    warehouse = corrupted(built, """
        insert into reference.ref_age_bands
        select * from reference.ref_age_bands
        where age = (select min(age) from silver.silver_census_state)""")
    rebuilt(warehouse, "ehcp_caseload_profile")
    assert failing_invariants(warehouse) == {HOLDERS_MATCH}


def test_a_holder_gold_dropped_fails_the_reconciliation(built):
    warehouse = corrupted(built, """
        insert into silver.silver_census_state
        select * replace ('p-extra' as person_key) from silver.silver_census_state
        order by all limit 1""")
    assert failing_invariants(warehouse) == {HOLDERS_MATCH}


def test_a_pupil_without_a_person_or_placement_fails_the_relationships(built):
    warehouse = corrupted(built, """
        update silver.silver_srp_census_pupils set person_key = 'p-nobody'
        where (person_key, academic_year, urn) in (
            select (person_key, academic_year, urn) from silver.silver_srp_census_pupils
            order by all limit 1)""")
    assert failing_invariants(warehouse) == {PUPIL_IS_A_PERSON, PLACEMENT_OF_PUPIL}


def test_a_missing_area_level_fails_sums_match_county(built):
    warehouse = corrupted(built,
                          "delete from gold.srp_places where level = 'area' and academic_year = '2024/25'")
    assert failing_invariants(warehouse) == {PLACES_PUPILS_BY_LEVEL}


def test_a_missing_county_row_fails_sums_match_county(built):
    warehouse = corrupted(built, """
        delete from gold.srp_places where level = 'county' and academic_year = '2023/24'
            and phase = 'All' and designation = 'All'""")
    assert PLACES_PUPILS_BY_LEVEL in failing_invariants(warehouse)


def test_a_missing_district_level_fails_level_totals_match(built):
    year = first_transfer_year(built)
    warehouse = corrupted(built, f"""
        delete from gold.phase_transfer_pathways
        where level = 'district' and transfer_year = '{year}'""")
    assert failing_invariants(warehouse) == {PATHWAYS_YEAR6_BY_LEVEL}


def test_a_missing_county_row_fails_level_totals_match(built):
    year = first_transfer_year(built)
    warehouse = corrupted(built, f"""
        delete from gold.phase_transfer_pathways
        where level = 'county' and transfer_year = '{year}' and designation = 'All'""")
    assert failing_invariants(warehouse) == {PATHWAYS_YEAR6_BY_LEVEL}


def first_transfer_year(built: Path) -> str:
    with duckdb.connect(str(built), read_only=True) as con:
        return con.execute("select min(transfer_year) from gold.phase_transfer_pathways "
                           "where level = 'county' and year6_pupils > 0").fetchone()[0]


def test_staging_duplicated_current_version_or_untyped_value_fails(built):
    """Staging is ephemeral (inlined from bronze): a second current version of a placement, and
    a register row whose places no longer type, both fail staging_is_sound."""
    warehouse = corrupted(built, """
        insert into bronze.synergy_placement
        select * from bronze.synergy_placement where _valid_to is null order by all limit 1""", """
        update bronze.srp_register set commissioned_places = 'eight'
        where srp_id = (select min(srp_id) from bronze.srp_register)""")
    assert {STAGING_PLACEMENT, STAGING_REGISTER} <= failing_invariants(warehouse)


def test_an_envelope_share_jumping_by_more_than_a_quarter_in_a_year_warns(built):
    """Funding 30% more of the envelope than the year before (a stale envelope seed, or places
    counted twice) warns; the old check (share <= 10) let it through."""
    warehouse = corrupted(built, """
        update gold.srp_finance
        set envelope_used_share = case academic_year when '2023/24' then 0.8 else 1.04 end
        where level = 'county' and designation = 'All'""")
    assert failing_invariants(warehouse) == {ENVELOPE_STEADY}
