"""Where everything lives. Every path can be overridden with an environment variable, so the
same code runs on sample data in a checkout and on real landing folders in production.

| variable | default | what |
|---|---|---|
| SEND_DATA_ROOT | <repo>/data | parent of everything below |
| SEND_LANDING_DIR | $SEND_DATA_ROOT/landing | where extracts, registers and returns arrive |
| SEND_ARCHIVE_DIR | $SEND_DATA_ROOT/archive | content-addressed copy of every landed file |
| SEND_WAREHOUSE_PATH | $SEND_DATA_ROOT/warehouse.duckdb | the embedded warehouse (one writer) |
| SEND_PUBLISHED_DIR | $SEND_DATA_ROOT/published | read-only gold for BI tools |
| SEND_REPORT_DIR | $SEND_DATA_ROOT/report | the annual strategic report |
| SEND_OUTBOX_DIR | $SEND_DATA_ROOT/outbox | return templates and feedback for schools |
| SEND_PSEUDONYM_KEY | (dev key on sample data only) | secret for keyed pseudonyms |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SEEDS_DIR = REPO_ROOT / "seeds"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var, "").strip()
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Paths:
    data_root: Path
    landing: Path
    archive: Path
    warehouse: Path
    published: Path
    report: Path
    outbox: Path

    @classmethod
    def from_env(cls) -> "Paths":
        root = _path("SEND_DATA_ROOT", REPO_ROOT / "data")
        return cls(
            data_root=root,
            landing=_path("SEND_LANDING_DIR", root / "landing"),
            archive=_path("SEND_ARCHIVE_DIR", root / "archive"),
            warehouse=_path("SEND_WAREHOUSE_PATH", root / "warehouse.duckdb"),
            published=_path("SEND_PUBLISHED_DIR", root / "published"),
            report=_path("SEND_REPORT_DIR", root / "report"),
            outbox=_path("SEND_OUTBOX_DIR", root / "outbox"),
        )
