"""Landed files: content hashes, the content-addressed archive, landing-relative paths.

Every landed file is copied byte for byte to ``archive_dir/<sha256[:2]>/<sha256>`` before it
is parsed, so clearing the landing folder loses nothing: the registry row of each file version
names its archived copy (``bronze.file_registry.archived_path``). Hidden files and Office lock
files (``~$...``) are not landed files and are ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandedFile:
    path: Path  # absolute path in the landing area
    source_file: str  # relative to landing_dir, forward slashes
    sha256: str
    size_bytes: int
    archived: Path | None = None  # its copy in the archive, once made

    def content(self) -> bytes:
        """The bytes that were hashed: read from the archive copy when there is one."""
        return (self.archived or self.path).read_bytes()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def relative_name(path: Path, landing_dir: Path) -> str:
    return path.relative_to(landing_dir).as_posix()


def landed_file(path: Path, landing_dir: Path) -> LandedFile:
    return LandedFile(path, relative_name(path, landing_dir), sha256_of(path), path.stat().st_size)


def archive_path_for(archive_dir: Path, sha256: str) -> Path:
    return archive_dir / sha256[:2] / sha256


def archive(file: LandedFile, archive_dir: Path) -> LandedFile:
    """Copy the file into the archive under its hash (atomic; a no-op if already there)."""
    target = archive_path_for(Path(archive_dir), file.sha256)
    if target.exists():
        return dataclasses.replace(file, archived=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out, open(file.path, "rb") as src:
            shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        if sha256_of(Path(temp_name)) != file.sha256:
            raise OSError(f"{file.source_file} changed while it was being archived; retry later")
        shutil.copystat(file.path, temp_name)  # keeps the landed mtime (returns' received_at)
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return dataclasses.replace(file, archived=target)


def files_under(folder: Path, pattern: str = "*") -> list[Path]:
    """Regular files directly in ``folder`` matching ``pattern``, hidden files excluded."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith((".", "~$"))
    )
