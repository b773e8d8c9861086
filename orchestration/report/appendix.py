"""The data-quality appendix's account of the release: what the disclosure audit proved about
the figures the public report shows (external.release_audit, one row per audit)."""

from __future__ import annotations

from orchestration.report.data import AUDIT_TABLE, RELEASE_SCHEMA, ReleaseAudit
from orchestration.report.disclosure import number_cell, text_cell
from orchestration.report.model import Column, HtmlTable, Note, TableRow

AUDIT_SOURCE = f"{RELEASE_SCHEMA}.{AUDIT_TABLE}"


def _passed(passed: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(passed, "not recorded")


def release_audit_block(audit: ReleaseAudit | None) -> HtmlTable | Note:
    """The latest audit's figures, or a note that no release has been audited yet."""
    if audit is None:
        return Note(
            f"No audited release in this warehouse yet ({AUDIT_SOURCE}): the public report "
            "shows no figures about children until the disclosure engine has written and "
            "audited one.",
            "warning",
        )
    audited = f"{audit.audited_at:%d %B %Y %H:%M}" if audit.audited_at else "not recorded"
    lines = [
        ("Cells published", number_cell(audit.cells_published)),
        ("Cells hidden (c)", number_cell(audit.cells_hidden)),
        ("Relations checked", number_cell(audit.relations_checked)),
        ("Narrowest interval of a hidden cell", text_cell(audit.narrowest_interval or "none")),
        ("Narrowest cell", text_cell(audit.narrowest_cell or "none")),
        ("Audit passed", text_cell(_passed(audit.passed))),
        ("Audited at", text_cell(audited)),
    ]
    return HtmlTable(
        [Column("Disclosure audit", False), Column("Result", False)],
        [TableRow([text_cell(name), cell]) for name, cell in lines],
        f"Disclosure audit of the release ({AUDIT_SOURCE}): every hidden cell's feasible "
        "interval, worked out from the figures shown, includes 0 or reaches 5",
    )
