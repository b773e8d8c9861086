"""A quiet night looks green (issue 15 item 5).

Two refreshes of the small sample in one Dagster instance: the second loads nothing new and
skips the dbt build. Afterwards, in the terms the UI uses (the latest check execution for each
gold check, whether it targets the asset's latest materialisation, and the stale status the
asset graph shows), every gold check has passed in the second run, none is skipped and no gold
asset is unsynced. Then the landing sensor, evaluated for real against that instance with an
empty cursor (the first tick of `make ui` after `make run`), starts nothing, and does start a
refresh once a file lands.
"""

from __future__ import annotations

import asyncio

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionResolvedStatus

from orchestration.unchanged_build import UNCHANGED, UNCHANGED_SINCE_RUN
from tests.conftest import refresh_platform


@pytest.fixture(scope="module")
def nights(small_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("quiet_night")
    with refresh_platform(small_landing, root) as (landing, job, instance):
        first = job.execute_in_process(instance=instance, raise_on_error=False)
        second = job.execute_in_process(instance=instance, raise_on_error=False)
        yield {"landing": landing, "job": job, "instance": instance,
               "first": first, "second": second}


def gold_keys(job) -> list[dg.AssetKey]:
    return sorted((k for k in job.asset_layer.asset_graph.get_all_asset_keys() if k.path[0] == "gold"),
                  key=lambda k: k.to_user_string())


def gold_check_keys(job) -> list[dg.AssetCheckKey]:
    return sorted((k for k in job.asset_layer.asset_graph.asset_check_keys
                   if k.asset_key.path[0] == "gold"), key=lambda k: k.to_user_string())


def ui_check_states(instance, check_keys) -> dict[str, tuple[str, bool]]:
    """Check -> (resolved status of its latest execution, whether that execution is for the
    asset's latest materialisation): what the UI's `executionForLatestMaterialization` uses."""
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)

    async def states():
        context = LoadingContextForTest(instance)
        return {key.to_user_string(): ((await records[key].resolve_status(context)).value,
                                       await records[key].targets_latest_materialization(context))
                if key in records else None
                for key in check_keys}

    return asyncio.run(states())


def test_the_second_night_skips_the_build_and_materialises_no_gold(nights):
    assert nights["first"].success and nights["second"].success
    rebuilt = {e.asset_key.path[0] for e in nights["second"].get_asset_materialization_events()}
    assert rebuilt == {"bronze", "council"}  # inputs re-stated with their data versions; no gold


def test_a_no_change_night_leaves_every_gold_check_passing_in_the_uis_terms(nights):
    instance, second = nights["instance"], nights["second"]
    checks = gold_check_keys(nights["job"])
    assert any(k.name.startswith("gx_") for k in checks)  # GX suites, not only dbt tests

    states = ui_check_states(instance, checks)

    passed = AssetCheckExecutionResolvedStatus.SUCCEEDED.value
    assert {name: s for name, s in states.items() if s != (passed, True)} == {}
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    assert {r.run_id for r in latest.values()} == {second.run_id}  # re-stated tonight
    assert {str(r.evaluation.metadata[UNCHANGED_SINCE_RUN].value) for r in latest.values()} == {
        nights["first"].run_id}


def test_no_gold_asset_is_unsynced_after_the_quiet_night(nights):
    job, instance = nights["job"], nights["instance"]
    resolver = CachingStaleStatusResolver(instance, job.asset_layer.asset_graph,
                                          LoadingContextForTest(instance))
    stale = {key.to_user_string(): [c.reason for c in resolver.get_stale_root_causes(key)]
             for key in gold_keys(job)
             if resolver.get_status(key) != StaleStatus.FRESH}
    assert stale == {}


def test_the_quiet_night_observes_each_gold_asset_as_unchanged(nights):
    observed = {
        e.asset_observation_data.asset_observation.asset_key: e.asset_observation_data.asset_observation
        for e in nights["second"].all_events if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    }
    for key in gold_keys(nights["job"]):
        metadata = observed[key].metadata
        assert metadata["status"].value == UNCHANGED
        assert metadata[UNCHANGED_SINCE_RUN].value == nights["first"].run_id


# --- the landing sensor ---------------------------------------------------------------------

def evaluate_sensor(instance, cursor=None):
    from orchestration.defs.schedules.nightly import landing_files_sensor

    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    return landing_files_sensor(context), context.cursor


def test_the_first_sensor_tick_after_a_refresh_starts_nothing(nights):
    result, cursor = evaluate_sensor(nights["instance"])

    assert isinstance(result, dg.SkipReason), result
    assert "already read" in result.skip_message
    assert cursor  # from now on the folder is compared with this tick's fingerprint


def test_a_file_outside_the_source_folders_starts_nothing(nights):
    note = nights["landing"] / "notes.txt"
    note.write_text("not a landed source file\n")
    try:
        result, _ = evaluate_sensor(nights["instance"])
    finally:
        note.unlink()
    assert isinstance(result, dg.SkipReason), result


def test_a_newly_landed_file_starts_a_refresh(nights):
    _, cursor = evaluate_sensor(nights["instance"])
    landed = nights["landing"] / "gias" / "edubase_20991231.csv"
    landed.write_bytes(b"URN,EstablishmentName\n")
    try:
        result, _ = evaluate_sensor(nights["instance"], cursor)
    finally:
        landed.unlink()
    assert isinstance(result, dg.RunRequest), result
    assert result.tags["landing_folders"] == "gias"


# --- bronze data versions (plain DuckDB, no refresh) ----------------------------------------

def test_bronze_keeps_its_data_version_until_its_own_files_change():
    import duckdb

    from orchestration.build_state import bronze_data_version
    from orchestration.ingest import ensure_bronze_schema

    con = duckdb.connect()
    ensure_bronze_schema(con)
    register = ("insert into bronze.file_registry (source, source_file, sha256, status, processed_at)"
                " values (?, ?, ?, 'loaded', now())")
    con.execute(register, ["gias", "gias/edubase_20250901.csv", "aaa"])
    con.execute(register, ["srp_register", "srp_register/srp_register_2025-26.csv", "bbb"])
    before = {source: bronze_data_version(con, source) for source in ("gias", "srp_register", None)}

    con.execute("update bronze.file_registry set processed_at = now() + interval 1 day")
    assert {s: bronze_data_version(con, s) for s in before} == before  # processed again: same

    con.execute(register, ["gias", "gias/edubase_20251001.csv", "ccc"])
    after = {source: bronze_data_version(con, source) for source in before}
    assert after["srp_register"] == before["srp_register"]
    assert after["gias"] != before["gias"] and after[None] != before[None]
