"""Rebuild a landing area from the archive (for a lost or cleared landing folder).

``restore_landing`` copies, for every registered path, its latest archived version back to
``landing_dir`` (and a ``_SUCCESS`` marker into each Synergy extract folder that was complete).
Ingesting that landing area into an empty database rebuilds bronze as it stands now,
Synergy history included (each night is its own folder). Earlier, superseded versions of a
path stay in the archive: find them in ``bronze.file_registry`` by path and hash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestration import contract
from orchestration.ingest.files import archive_path_for
from orchestration.ingest.schema import table


def restore_landing(con, archive_dir: Path, landing_dir: Path) -> int:
    """Copy each registered path's latest version back from the archive; returns files copied."""
    rows = con.execute(
        f"""SELECT source, source_file, sha256 FROM {table('file_registry')}
            WHERE sha256 IS NOT NULL AND status <> 'waiting'
            QUALIFY row_number() OVER (PARTITION BY source_file
                                       ORDER BY first_seen_at DESC, processed_at DESC) = 1"""
    ).fetchall()
    copied = 0
    for source, source_file, sha256 in rows:
        target = Path(landing_dir) / source_file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(archive_path_for(Path(archive_dir), sha256), target)
        copied += 1
        if source == "synergy":
            (target.parent / contract.SYNERGY_SUCCESS_MARKER).touch()
    return copied
