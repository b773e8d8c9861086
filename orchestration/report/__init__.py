"""The annual strategic report: an offline, printable HTML report (county overview, area and
district packs, a page per SRP school, methods and data-quality appendices) built from the gold
tables with statistical disclosure control applied to every published figure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration.report.data import REPORT_GOLD_TABLES, load_report_data
from orchestration.report.render import build_pages, render_pages

__all__ = ["REPORT_GOLD_TABLES", "build_report"]


def build_report(
    warehouse_path: Path, out_dir: Path, *, generated_at: dt.datetime | None = None
) -> Path:
    """Reads the warehouse (read-only), writes the report's HTML files into ``out_dir`` and
    returns the path of its index page."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    data = load_report_data(Path(warehouse_path))
    pages, year = build_pages(data, generated_at.date())
    return render_pages(
        pages,
        Path(out_dir),
        year=year,
        generated_at=generated_at,
        warehouse_name=data.warehouse_name,
        extract_date=data.extract_date,
    )
