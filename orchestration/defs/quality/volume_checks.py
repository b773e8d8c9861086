"""Blocking volume checks on every Synergy bronze table (see orchestration/quality/volume.py)."""

import dagster as dg

from orchestration import contract
from orchestration.quality.volume import MAX_DROP_SHARE, synergy_volume_change
from orchestration.resources import WarehouseResource


def volume_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["bronze", table]),
        name="volume_vs_previous_extract",
        blocking=True,
        description=f"Rows in the latest Synergy extract have not dropped by more than "
        f"{MAX_DROP_SHARE:.0%} since the previous extract.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            change = synergy_volume_change(con, table)
        return dg.AssetCheckResult(passed=change.passed, metadata=change.metadata())

    return _check


@dg.definitions
def volume_definitions() -> dg.Definitions:
    return dg.Definitions(asset_checks=[volume_check(s.name) for s in contract.SYNERGY_FILES])
