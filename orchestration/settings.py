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
| SEND_GROUP_ACCESS | none | `read`: the platform's files are readable by the owner's group |
| SEND_PUBLISHED_MODE | 0440 | octal mode of the published files for BI readers |

Children's data is owner-only by default: every platform process sets umask 077 (027 with
SEND_GROUP_ACCESS=read), and :func:`secure_data_folders` makes the warehouse, archive, outbox,
report and Dagster home owner-only (group-readable with SEND_GROUP_ACCESS=read) even when an
earlier version created them open. The landing folder belongs to whoever delivers the files
and is never changed. Published files take SEND_PUBLISHED_MODE, and their folders the matching
read and search bits: BI tools running as another account need a path they can reach (put
SEND_PUBLISHED_DIR outside the data root, or use SEND_GROUP_ACCESS=read).
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

    def private_folders(self) -> list[Path]:
        """Folders that hold children's data (or could): never world-readable."""
        home = os.environ.get("DAGSTER_HOME", "").strip()
        return [self.archive, self.outbox, self.report, *([Path(home)] if home else [])]

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


@dataclass(frozen=True)
class FileModes:
    """Modes for what the platform writes (see the module docstring)."""

    group_read: bool
    published_file: int

    @classmethod
    def from_env(cls) -> "FileModes":
        group = os.environ.get("SEND_GROUP_ACCESS", "none").strip().lower() or "none"
        if group not in ("none", "read"):
            raise ValueError(f"SEND_GROUP_ACCESS must be 'none' or 'read', not {group!r}")
        mode = os.environ.get("SEND_PUBLISHED_MODE", "0440").strip() or "0440"
        try:
            published = int(mode, 8)
        except ValueError:
            raise ValueError(f"SEND_PUBLISHED_MODE must be an octal mode like 0440, not {mode!r}")
        if published & ~0o666 or not published & 0o400:
            raise ValueError(f"SEND_PUBLISHED_MODE {mode} must be a file mode the owner can read,"
                             " without execute bits (e.g. 0400, 0440, 0444)")
        return cls(group_read=group == "read", published_file=published)

    @property
    def umask(self) -> int:
        return 0o027 if self.group_read else 0o077

    @property
    def private_dir(self) -> int:
        return 0o750 if self.group_read else 0o700

    @property
    def private_file(self) -> int:
        return 0o640 if self.group_read else 0o600

    @property
    def published_dir(self) -> int:
        """Owner rwx, and r-x for whoever may read the published files."""
        readers = self.published_file & 0o044
        return 0o700 | readers | readers >> 2


def secure_data_folders(paths: Paths | None = None) -> FileModes:
    """Set this process's umask and make the platform's private folders and files owner-only
    (or group-readable, per SEND_GROUP_ACCESS), creating the folders if absent. Children spawned
    afterwards (dbt, outbox workers, Dagster run workers) inherit the umask."""
    paths = paths or Paths.from_env()
    modes = FileModes.from_env()
    os.umask(modes.umask)
    for folder in paths.private_folders():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(modes.private_dir)
    for file in (paths.warehouse, paths.warehouse.with_name(paths.warehouse.name + ".wal")):
        if file.is_file() and not file.is_symlink():
            file.chmod(modes.private_file)
    return modes
