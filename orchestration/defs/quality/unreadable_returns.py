"""A warning (never blocking) while school returns that could not be read are still landed."""

import dagster as dg

from orchestration.quality.unreadable_returns import TABLE, check_metadata, unreadable_returns
from orchestration.resources import WarehouseResource


@dg.asset_check(
    asset=dg.AssetKey(["silver", "unreadable_returns"]),
    name="no_unreadable_returns",
    blocking=False,
    description=f"Every school return in the landing folder could be read. Warns (the night "
    f"goes on) while {TABLE} lists any, and names the files: take each out of the landing "
    "folder and ask its school to send a readable return.",
)
def no_unreadable_returns(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        returns = unreadable_returns(con)
    return dg.AssetCheckResult(passed=not returns, severity=dg.AssetCheckSeverity.WARN,
                               metadata=check_metadata(returns))
