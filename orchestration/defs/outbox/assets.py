"""The school outbox: pre-filled SRP return templates and feedback on every return received.

Both read bronze (the only place UPNs live: a school's own pupils go to that school only),
so their metadata holds counts and output file names only, never UPNs or names of people.

A workbook that cannot be written does not stop the others (outbox/writer.py). Each asset
reports the ones that failed: ``files_failed`` and ``failed_files`` (outbox-relative name:
kind of error) in its metadata, a warning in the run's log, and its warning-severity check
``every_workbook_written``, which fails so that the alert sensor reports it.
"""

from collections import Counter
from pathlib import Path

import dagster as dg

from orchestration.jobs import OUTBOX_GROUP
from orchestration.outbox.writer import WriteOutcome
from orchestration.pseudonymise import resolve_key

# The workbook code (openpyxl) is imported by the assets that write workbooks, not on every
# code load (run workers of other assets, the UI, sensors).
from orchestration.resources import FoldersResource, WarehouseResource

OUTBOX = OUTBOX_GROUP
EVERY_WORKBOOK_WRITTEN = "every_workbook_written"
# the pupils each school had (dbt) and what names them again (bronze persons)
_PLACED_PUPILS_DEPS = [dg.AssetKey(["bronze", "srp_register"]),
                       dg.AssetKey(["bronze", "synergy_person"]),
                       dg.AssetKey(["silver", "srp_pupils_in_year"])]


def _every_workbook_written(name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        EVERY_WORKBOOK_WRITTEN, asset=dg.AssetKey([OUTBOX, name]),
        description="Every workbook of this asset was written. Fails (warning) when any could "
        "not be: their names are in the metadata and the run's log; the others were written.")


def _write_report(context: dg.AssetExecutionContext, outcome: WriteOutcome,
                  outbox: Path) -> tuple[dict, dg.AssetCheckResult]:
    """Metadata on what was written and failed, the check's result, a warning in the log."""
    failed = {path.relative_to(outbox).as_posix(): reason
              for path, reason in sorted(outcome.failed.items())}
    if failed:
        context.log.warning(
            f"{len(failed)} workbook(s) could not be written (the others were): "
            + "; ".join(f"{name} ({reason})" for name, reason in failed.items()))
    metadata = {
        "files_written": len(outcome.files),
        "files_written_this_run": len(outcome.written),
        "files_failed": len(failed),
        "failed_files": dg.MetadataValue.json(failed),
    }
    check = dg.AssetCheckResult(check_name=EVERY_WORKBOOK_WRITTEN, passed=not failed,
                                severity=dg.AssetCheckSeverity.WARN, metadata=metadata)
    return metadata, check


@dg.asset(
    key=dg.AssetKey([OUTBOX, "return_templates"]),
    group_name=OUTBOX,
    deps=[*_PLACED_PUPILS_DEPS, dg.AssetKey(["bronze", "gias_establishment"])],
    kinds={"excel", "python"},
    description="A pre-filled SRP annual return workbook per SRP school for the coming academic "
    "year (the latest year of the SRP register): school, designations, commissioned places and "
    "the pupils the council has placed there, under <outbox>/templates/<YYYY-YY>/. Holds UPNs: "
    "each file goes to its own school only.",
    check_specs=[_every_workbook_written("return_templates")],
)
def return_templates(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    from orchestration.outbox.templates import (
        coming_academic_year, template_returns, write_template_files,
    )

    with warehouse.connect(read_only=True) as con:
        academic_year = coming_academic_year(con)
        returns = (template_returns(con, academic_year, resolve_key(folders.landing_dir()))
                   if academic_year else [])
    outcome = (write_template_files(returns, Path(folders.outbox), academic_year) if returns
               else WriteOutcome(files=[], written=[]))
    context.log.info(f"{len(outcome.files)} return templates for {academic_year} in "
                     f"{folders.outbox}")
    written, check = _write_report(context, outcome, Path(folders.outbox))
    return dg.MaterializeResult(metadata={
        "academic_year": academic_year or "none (no SRP register)",
        **written,
        "schools": len(returns),
        "pupils_prefilled": sum(len(r.pupils) for r in returns),
        "pupil_rows_left_editable": sum(not p.prefilled for r in returns for p in r.pupils),
    }, check_results=[check])


@dg.asset(
    key=dg.AssetKey([OUTBOX, "return_feedback"]),
    group_name=OUTBOX,
    deps=[
        *[dg.AssetKey(["bronze", t]) for t in ("return_submissions", "return_pupils",
                                               "load_errors")],
        *_PLACED_PUPILS_DEPS,
        dg.AssetKey(["silver", "return_submission"]),
        dg.AssetKey(["silver", "return_pupil_reconciliation"]),
    ],
    kinds={"excel", "python"},
    description="A feedback workbook for every return workbook received (every version): "
    "accepted / accepted with warnings / not accepted and why / superseded / late, each error "
    "and warning with what to do, and the school's pupil list against council records, under "
    "<outbox>/feedback/<YYYY-YY>/. Holds UPNs: each file goes to its own school only.",
    check_specs=[_every_workbook_written("return_feedback")],
)
def return_feedback(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, folders: FoldersResource
) -> dg.MaterializeResult:
    from orchestration.outbox.feedback import STATUSES, build_feedback, write_feedback_files

    with warehouse.connect(read_only=True) as con:
        feedback = build_feedback(con, resolve_key(folders.landing_dir()))
    outcome = write_feedback_files(feedback, Path(folders.outbox))
    statuses = Counter(f.status for f in feedback)
    context.log.info(f"{len(outcome.files)} feedback files in {folders.outbox}")
    written, check = _write_report(context, outcome, Path(folders.outbox))
    return dg.MaterializeResult(metadata={
        **written,
        "schools": len({f.submission.urn for f in feedback if f.submission.urn}),
        "returns_by_status": dg.MetadataValue.json({s: statuses[s] for s in STATUSES}),
        "returns_late": sum(bool(f.submission.is_late) for f in feedback),
        "errors": sum(f.counts["errors"] for f in feedback),
        "warnings": sum(f.counts["warnings"] for f in feedback),
        "pupil_differences": sum(f.counts["pupil_differences"] for f in feedback),
    }, check_results=[check])
