"""The release: disclosure control over every shareable gold table at once, and its audit, a
blocking check: a release a reader could undo never reaches the public report or the
published file, which keep the last good release."""

import dagster as dg

from orchestration.disclosure.declarations import SHAREABLE_TABLES
from orchestration.disclosure.names import RELEASE_SCHEMA
from orchestration.resources import WarehouseResource

# The engine (orchestration/disclosure/release.py: pyarrow, scipy, HiGHS) is imported by the
# asset and check that run it, not on code load: every run worker and the UI load this module.

RELEASE = dg.AssetKey(["disclosure", "release"])


@dg.asset(
    key=RELEASE,
    group_name="publish",
    deps=[dg.AssetKey(["gold", name]) for name in SHAREABLE_TABLES],
    kinds={"duckdb", "python"},
    description=f"Every shareable gold table with disclosure control (docs/DISCLOSURE.md), as "
    f"`{RELEASE_SCHEMA}.<table>`: counts of 1-4 and cells that would give them back hidden "
    "(NULL, `<column>_flag` = 'c'), figures built on them hidden with them, decided over all "
    "tables at once so a cell is hidden everywhere it appears.",
)
def release(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.disclosure.release import write_release

    with warehouse.connect() as con:
        summary = write_release(con)
    context.log.info(f"release written: {summary.cells_hidden} cells hidden "
                     f"({summary.primary} counts of 1-4, {summary.secondary} more counts), "
                     f"{summary.repairs} repair rounds; audit passed: {summary.audit.passed}")
    return dg.MaterializeResult(metadata={
        "tables": dg.MetadataValue.json(summary.tables),
        "cells_published": summary.cells_published,
        "cells_hidden": summary.cells_hidden,
        "counts_hidden_primary": summary.primary,
        "counts_hidden_secondary": summary.secondary,
        "repair_rounds": summary.repairs,
    })


@dg.asset_check(
    asset=RELEASE,
    name="release_cannot_be_undone",
    blocking=True,
    description="Reads the written release back: every shown value equals gold's, every count of "
    "1-4 is hidden, every figure built on a hidden count is hidden, and an LP over all the "
    "tables' additive relations finds no hidden count a reader could narrow to 1-4 (its "
    "feasible interval must include 0 or reach 5). Fails (blocking the public report and the "
    "publication) otherwise, naming the cells.",
)
def release_cannot_be_undone(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from orchestration.disclosure.release import audit_written_release

    with warehouse.connect(read_only=True) as con:
        result = audit_written_release(con)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())
