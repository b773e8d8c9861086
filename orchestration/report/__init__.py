"""The annual strategic report: an offline, printable HTML report (county overview, area and
district packs, a page per SRP school, methods and data-quality appendices), in two editions:

* **public**, for parents and carers, schools and the committee's public papers: every figure
  from the audited release (schema ``external``); a figure is hidden exactly where the release
  hides it, and a figure the report computes is hidden wherever one of its inputs is;
* **internal**, for council staff: the same pages from ``gold``, unsuppressed, marked
  OFFICIAL-SENSITIVE on every page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration.report.data import AUDIENCES, INTERNAL, PUBLIC, REPORT_GOLD_TABLES, load_report_data
from orchestration.report.render import REPORT_FILE_PATTERNS, build_pages, render_pages

__all__ = [
    "AUDIENCES",
    "INTERNAL",
    "MARKING",
    "PUBLIC",
    "REPORT_GOLD_TABLES",
    "ReleaseNotPassed",
    "build_report",
    "remove_flat_report",
    "report_folder",
]

MARKING = "OFFICIAL-SENSITIVE"


class ReleaseNotPassed(RuntimeError):
    """The release's latest audit failed: the public report is not rebuilt from it."""


def report_folder(report_dir: Path, audience: str) -> Path:
    """Where an edition goes: ``<report folder>/public`` or ``<report folder>/internal``."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    return Path(report_dir) / audience


def remove_flat_report(report_dir: Path) -> list[str]:
    """Deletes the pages an older version wrote straight into the report folder (one edition,
    suppressed by the report itself), so nobody shares them by mistake; returns their names."""
    removed = []
    for pattern in REPORT_FILE_PATTERNS:
        for stale in sorted(Path(report_dir).glob(pattern)):
            stale.unlink()
            removed.append(stale.name)
    return removed


def build_report(
    warehouse_path: Path,
    out_dir: Path,
    *,
    audience: str = PUBLIC,
    generated_at: dt.datetime | None = None,
) -> Path:
    """Reads the warehouse (read-only), writes the edition's HTML files into ``out_dir`` and
    returns the path of its index page. ``audience``: "public" (from the audited release) or
    "internal" (from gold, unsuppressed, OFFICIAL-SENSITIVE). A public report is never built
    from a release whose latest audit failed (ReleaseNotPassed; the pages already in
    ``out_dir`` stay as they are)."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    data = load_report_data(Path(warehouse_path), audience)
    if audience == PUBLIC and data.audit is not None and data.audit.passed is not True:
        raise ReleaseNotPassed(
            "the latest audit of the release (external.release_audit) did not pass: the public "
            "report is not rebuilt from it, and the pages already written stay in place"
        )
    pages, year = build_pages(data, generated_at.date())
    return render_pages(
        pages,
        Path(out_dir),
        year=year,
        generated_at=generated_at,
        warehouse_name=data.warehouse_name,
        extract_date=data.extract_date,
        marking=MARKING if audience == INTERNAL else None,
        council=data.council,
    )
