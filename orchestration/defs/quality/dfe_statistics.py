"""One warning (never blocking) while DfE's statistics file has not landed: the DfE
comparators are NULL until it does (orchestration/quality/dfe_statistics.py)."""

import dagster as dg

from orchestration.quality.dfe_statistics import LANDING_PATH, WHERE_TO_GET, check_outcome, current_rows
from orchestration.resources import WarehouseResource


@dg.asset_check(
    asset=dg.AssetKey(["bronze", "dfe_sen2_mi"]),
    name="dfe_statistics_landed",
    blocking=False,
    description=f"DfE's published statistics ({LANDING_PATH}) are loaded, so the DfE "
    f"comparators of the EHCP timeliness table and the report are filled. One warning, never "
    f"blocking, while the file is missing (instead of silently empty comparators). {WHERE_TO_GET}.",
)
def dfe_statistics_landed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        passed, description, metadata = check_outcome(current_rows(con))
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN,
                               description=description, metadata=metadata)
