"""The school outbox: pre-filled SRP return templates and feedback on every return received.

Both read bronze (the only place UPNs live: a school's own pupils go to that school only),
so their metadata holds counts only, never UPNs or names.
"""

from collections import Counter
from pathlib import Path

import dagster as dg

from orchestration.jobs import OUTBOX_GROUP
from orchestration.outbox.feedback import STATUSES, build_feedback, write_feedback_files
from orchestration.outbox.templates import (
    coming_academic_year, template_returns, write_template_files,
)
from orchestration.resources import FoldersResource, WarehouseResource

OUTBOX = OUTBOX_GROUP
_SYNERGY_TABLES = ("synergy_placement", "synergy_named_plan", "synergy_person")
_PLACED_PUPILS_DEPS = [dg.AssetKey(["bronze", t]) for t in ("srp_register", *_SYNERGY_TABLES)]


@dg.asset(
    key=dg.AssetKey([OUTBOX, "return_templates"]),
    group_name=OUTBOX,
    deps=[*_PLACED_PUPILS_DEPS, dg.AssetKey(["bronze", "gias_establishment"])],
    kinds={"excel", "python"},
    description="A pre-filled SRP annual return workbook per SRP school for the coming academic "
    "year (the latest year of the SRP register): school, designations, commissioned places and "
    "the pupils the council has placed there, under <outbox>/templates/<YYYY-YY>/. Holds UPNs: "
    "each file goes to its own school only.",
)
def return_templates(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as con:
        academic_year = coming_academic_year(con)
        returns = template_returns(con, academic_year) if academic_year else []
    paths = write_template_files(returns, Path(folders.outbox), academic_year) if returns else []
    context.log.info(f"{len(paths)} return templates for {academic_year} in {folders.outbox}")
    return dg.MaterializeResult(metadata={
        "academic_year": academic_year or "none (no SRP register)",
        "files_written": len(paths),
        "schools": len(returns),
        "pupils_prefilled": sum(len(r.pupils) for r in returns),
        "pupil_rows_left_editable": sum(not p.prefilled for r in returns for p in r.pupils),
    })


@dg.asset(
    key=dg.AssetKey([OUTBOX, "return_feedback"]),
    group_name=OUTBOX,
    deps=[
        *[dg.AssetKey(["bronze", t]) for t in ("return_submissions", "return_pupils",
                                               "load_errors")],
        *_PLACED_PUPILS_DEPS,
        dg.AssetKey(["silver", "return_submission"]),
    ],
    kinds={"excel", "python"},
    description="A feedback workbook for every return workbook received (every version): "
    "accepted / accepted with warnings / not accepted and why / superseded / late, each error "
    "and warning with what to do, and the school's pupil list against council records, under "
    "<outbox>/feedback/<YYYY-YY>/. Holds UPNs: each file goes to its own school only.",
)
def return_feedback(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as con:
        feedback = build_feedback(con)
    paths = write_feedback_files(feedback, Path(folders.outbox))
    statuses = Counter(f.status for f in feedback)
    context.log.info(f"{len(paths)} feedback files in {folders.outbox}")
    return dg.MaterializeResult(metadata={
        "files_written": len(paths),
        "schools": len({f.submission.urn for f in feedback if f.submission.urn}),
        "returns_by_status": dg.MetadataValue.json({s: statuses[s] for s in STATUSES}),
        "returns_late": sum(bool(f.submission.is_late) for f in feedback),
        "errors": sum(f.counts["errors"] for f in feedback),
        "warnings": sum(f.counts["warnings"] for f in feedback),
        "pupil_differences": sum(f.counts["pupil_differences"] for f in feedback),
    })
