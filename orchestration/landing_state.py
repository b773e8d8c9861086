"""What the landing folder looked like when the platform last read it, so the landing sensor
starts from the files already processed instead of an empty cursor (issue 15 item 5).

Each ingestion step fingerprints every source folder (``landing/<source>``: path, size and
modification time of each entry, never the content) *before* it reads, and records its own
folder's fingerprint in the metadata of the bronze tables it materialises
(``landing_folder`` / ``landing_fingerprint``). A file that lands while a step is reading
therefore still counts as new. The sensor compares each source folder as it is now with the
last recorded fingerprint: a folder that differs (a file arrived, changed or left) or that
holds files and was never read starts a refresh; files outside the source folders (the
sample's manifest, notes) are never read, so they start nothing.

The record lives in the Dagster instance beside the run history that ``make run`` and
``make ui`` share; reading it never opens the warehouse, whose single writer may be a
refresh that is starting at that moment.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration import contract
from orchestration.ingest.sen2_bronze_schema import LANDING_POSTCODES, LANDING_SEN2

SOURCE_FOLDERS = (
    contract.LANDING_SYNERGY, contract.LANDING_GIAS, contract.LANDING_SRP_REGISTER,
    contract.LANDING_SCHOOL_RETURNS, contract.LANDING_DFE, LANDING_SEN2, LANDING_POSTCODES,
)
FOLDER_KEY = "landing_folder"
FINGERPRINT_KEY = "landing_fingerprint"


def landing_fingerprint(landing: Path) -> tuple[str, int]:
    """A digest of every landed file's path, size and modification time, and the file count."""
    digest = hashlib.sha256()
    count = 0
    if landing.is_dir():
        for root, dirs, files in os.walk(landing):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                stat = path.lstat()  # a dangling link must not break the sensor
                rel = path.relative_to(landing).as_posix()
                digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode(
                    "utf-8", "surrogateescape"))  # names need not be UTF-8
                count += 1
    return digest.hexdigest(), count


def folder_fingerprints(landing: Path) -> dict[str, tuple[str, int]]:
    """Each source folder's fingerprint and file count, as it is now."""
    return {folder: landing_fingerprint(Path(landing) / folder) for folder in SOURCE_FOLDERS}


def seen_metadata(source: str, before: Mapping[str, tuple[str, int]]) -> dict[str, str]:
    """The metadata an ingestion step records: its folder's fingerprint taken before it read."""
    if source not in before:
        return {}
    return {FOLDER_KEY: source, FINGERPRINT_KEY: before[source][0]}


def recorded_fingerprints(metadata_of_latest: Iterable[Mapping]) -> dict[str, str]:
    """Source folder -> fingerprint, from the metadata of each bronze table's latest
    materialisation (plain values or Dagster metadata values)."""
    recorded: dict[str, str] = {}
    for metadata in metadata_of_latest:
        folder, fingerprint = metadata.get(FOLDER_KEY), metadata.get(FINGERPRINT_KEY)
        if folder is not None and fingerprint is not None:
            recorded[_text(folder)] = _text(fingerprint)
    return recorded


def unread_folders(now: Mapping[str, tuple[str, int]], recorded: Mapping[str, str]) -> list[str]:
    """The source folders whose files changed since they were last read: never read and not
    empty, or read when they looked different."""
    return [folder for folder, (fingerprint, count) in now.items()
            if (recorded.get(folder) is None and count > 0)
            or (recorded.get(folder) is not None and recorded[folder] != fingerprint)]


def _text(value) -> str:
    return str(getattr(value, "value", value))
