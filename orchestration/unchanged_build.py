"""What a refresh says about silver, gold and everything after them when the dbt build is
skipped because nothing it reads changed (orchestration/build_state.py; issue 15 item 5).

The tables are exactly those of the last build, so their last check results still hold. The
skipped build therefore re-states them instead of leaving every check "Skipped" and every
gold asset at "0/10 passed":

* each check of the dbt step (the dbt tests) is yielded again as an ``AssetCheckResult`` with
  its last outcome, severity, description and metadata;
* each check planned in this run on an asset downstream of dbt (the Great Expectations suites,
  the release audit), whose step Dagster will skip, gets the same as an evaluation event, so
  this run records its outcome instead of a skip;
* each asset built by dbt or downstream of it gets an ``AssetObservation`` saying it is
  unchanged, and since when.

Every re-stated result carries ``unchanged_since_run``: the run that evaluated it on these
tables. A result is re-stated only when it was evaluated on the asset's current
materialisation; any other check is left as Dagster shows it. Nothing is materialised, so
the report, release and publication keep their last outputs, and because bronze keeps its
data version on a night that loads nothing (build_state.bronze_data_version), nothing is shown
as unsynced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

UNCHANGED_SINCE_RUN = "unchanged_since_run"
STATUS = "status"
_COMPLETED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
UNCHANGED = "unchanged"


def restate_unchanged(context: dg.AssetExecutionContext) -> Iterator[dg.AssetCheckResult]:
    """Yield the step's own check results again and log the rest (see the module docstring)."""
    instance = context.instance
    affected = downstream_of(context.job_def.asset_layer.asset_graph, context.selected_asset_keys)
    planned_checks, planned_assets = planned_in_run(instance, context.run_id)
    own = set(context.selected_asset_check_keys)
    checks = own | {key for key in planned_checks if key.asset_key in affected}
    assets = set(context.selected_asset_keys) | (planned_assets & affected)
    latest = latest_materializations(instance, assets | {key.asset_key for key in checks})
    results = last_results_on(instance, latest, checks)
    for key in sorted(checks, key=lambda k: k.to_user_string()):
        record = results.get(key)
        if record is None:
            continue
        evaluation = record.evaluation
        metadata = {**evaluation.metadata, UNCHANGED_SINCE_RUN: since(record)}
        if key in own:
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=evaluation.passed,
                severity=evaluation.severity, description=evaluation.description,
                metadata=metadata)
        else:
            context.log_event(dg.AssetCheckEvaluation(
                asset_key=key.asset_key, check_name=key.name, passed=evaluation.passed,
                metadata=metadata, severity=evaluation.severity,
                description=evaluation.description, blocking=evaluation.blocking,
                target_materialization_data=evaluation.target_materialization_data))
    for asset_key in sorted(assets, key=lambda k: k.to_user_string()):
        if asset_key in latest:
            context.log_event(dg.AssetObservation(asset_key=asset_key, metadata={
                STATUS: UNCHANGED,
                UNCHANGED_SINCE_RUN: latest[asset_key].event_log_entry.run_id,
            }))


def downstream_of(asset_graph, keys: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """``keys`` and every asset that depends on them, directly or not."""
    found, queue = set(keys), list(keys)
    while queue:
        for child in asset_graph.get(queue.pop()).child_keys:
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def planned_in_run(instance: dg.DagsterInstance, run_id: str
                   ) -> tuple[set[dg.AssetCheckKey], set[dg.AssetKey]]:
    """The checks and assets this run planned to evaluate and materialise."""
    checks = {
        dg.AssetCheckKey(data.asset_key, data.check_name)
        for data in _event_data(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)
    }
    assets = {data.asset_key for data in
              _event_data(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)}
    return checks, assets


def _event_data(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType):
    records = instance.get_records_for_run(run_id, of_type=event_type, limit=100_000).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def latest_materializations(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> dict:
    """Asset key -> the record of its latest materialisation (assets never materialised left out)."""
    latest = {}
    for asset_record in instance.get_asset_records(list(keys)):
        record = asset_record.asset_entry.last_materialization_record
        if record is not None:
            latest[asset_record.asset_entry.asset_key] = record
    return latest


def last_results_on(instance: dg.DagsterInstance, latest: dict, keys) -> dict:
    """Check key -> its last completed execution, when that evaluated the asset's current
    materialisation (a check re-run since, from the UI, counts too)."""
    results = {}
    for key in keys:
        current = latest.get(key.asset_key)
        history = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=1, status=_COMPLETED) if current is not None else []
        target = history[0].evaluation.target_materialization_data if history else None
        if target is not None and target.storage_id == current.storage_id:
            results[key] = history[0]
    return results


def since(record: AssetCheckExecutionRecord) -> str:
    """The run that evaluated this result on these tables (kept through repeated quiet nights)."""
    earlier = record.evaluation.metadata.get(UNCHANGED_SINCE_RUN)
    return str(earlier.value) if earlier is not None else record.run_id
