"""Every Great Expectations suite in expectations/ becomes an asset check on its table.
Suites with severity 'error' are blocking: downstream assets do not run on bad data."""

import dagster as dg

from orchestration.quality.gx_suites import SuiteSpec, load_suite_specs, validate_table
from orchestration.quality.gx_warm_up import GX_CHECK_PREFIX
from orchestration.resources import WarehouseResource
from orchestration.settings import EXPECTATIONS_DIR


def gx_check(spec: SuiteSpec) -> dg.AssetChecksDefinition:
    severity = dg.AssetCheckSeverity.ERROR if spec.severity == "error" else dg.AssetCheckSeverity.WARN

    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset_key)),
        name=f"{GX_CHECK_PREFIX}{spec.name}",
        description=spec.description or f"Great Expectations suite {spec.path.name}",
        blocking=spec.severity == "error",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        outcome = validate_table(spec, warehouse.path)
        metadata = outcome.metadata()
        metadata["failures"] = dg.MetadataValue.json(metadata["failures"])
        return dg.AssetCheckResult(passed=outcome.success, severity=severity, metadata=metadata)

    return _check


@dg.definitions
def gx_definitions() -> dg.Definitions:
    return dg.Definitions(asset_checks=[gx_check(s) for s in load_suite_specs(EXPECTATIONS_DIR)])
