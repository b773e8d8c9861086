"""Landed files: content hashes, the content-addressed archive, landing-relative paths.

Every landed file is copied byte for byte to ``archive_dir/<sha256[:2]>/<sha256>`` before it
is parsed, so clearing the landing folder loses nothing: the registry row of each file version
names its archived copy (``bronze.file_registry.archived_path``). Hidden files and Office lock
files (``~$...``) are not landed files and are ignored.

Only regular files are landed files. Links are never followed (a link could point anywhere on
the machine) and special files (pipes, sockets, devices) are never opened: both are listed by
:func:`refused_entries` so the loader can register them as rejected, with the reason. Files are
opened with ``O_NOFOLLOW`` and checked again after opening, so a file swapped for a link between
listing and reading is refused too. The archive copy never takes the landed file's mode: it is
created with the process umask (owner-only by default, see ``orchestration.settings``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import mmap
import os
import shutil
import stat
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


class NotARegularFile(OSError):
    """A landed path that is a link or a special file: never read."""


def open_regular(path: Path):
    """Open ``path`` for reading only if it is a regular file and not a link."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise NotARegularFile(f"{path.name}: {refusal_reason(path)}") from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotARegularFile(f"{path.name}: {refusal_reason(path)}")
    return os.fdopen(fd, "rb")


def sha256_of(path: Path) -> str:
    with open_regular(path) as handle:
        return sha256_of_handle(handle)


def sha256_of_handle(handle) -> str:
    """The hash of what is left to read of an open file."""
    digest = hashlib.sha256()
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def relative_name(path: Path, landing_dir: Path) -> str:
    """The landing-relative name, as text: bytes of a name that are not UTF-8 (a file copied
    from an old system) appear as ``\\xNN`` escapes, so the name can be stored and shown."""
    name = path.relative_to(landing_dir).as_posix()
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def landed_file(path: Path, landing_dir: Path) -> LandedFile:
    return LandedFile(path, relative_name(path, landing_dir), sha256_of(path),
                      path.lstat().st_size)


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
        with os.fdopen(handle, "wb") as out, open_regular(file.path) as src:
            _copy_bytes(src, out)
            out.flush()
            os.fsync(out.fileno())
        if _sha256_of_own_file(Path(temp_name)) != file.sha256:
            raise OSError(f"{file.source_file} changed while it was being archived; retry later")
        landed = file.path.lstat()  # keep the landed mtime (returns' received_at), not the mode
        os.utime(temp_name, ns=(landed.st_atime_ns, landed.st_mtime_ns))
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return dataclasses.replace(file, archived=target)


def _copy_bytes(src, out) -> None:
    """The rest of ``src`` onto ``out``, copied inside the kernel where it can (a 750 MB file:
    ~1 s of CPU against 2-5 s through Python's buffers on a busy machine)."""
    try:
        while os.copy_file_range(src.fileno(), out.fileno(), 1 << 30):
            pass
    except OSError:  # a file system or kernel that cannot: copy what is left through buffers
        out.seek(0, os.SEEK_END)
        src.seek(out.tell())
        shutil.copyfileobj(src, out, _CHUNK)


def _sha256_of_own_file(path: Path) -> str:
    """The hash of a file only the platform writes (an archive copy before it is renamed into
    place), read through a memory map. Never a landed file: one cut short while mapped would
    kill the process."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return hashlib.sha256().hexdigest()
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return hashlib.sha256(mapped).hexdigest()


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def files_under(folder: Path, pattern: str = "*") -> list[Path]:
    """Regular files directly in ``folder`` matching ``pattern``: hidden files, links and
    special files excluded (a folder that is itself a link has none)."""
    if not _is_real_dir(folder):
        return []
    return sorted(p for p in folder.glob(pattern)
                  if not _ignored(p) and stat.S_ISREG(p.lstat().st_mode))


def subfolders(folder: Path) -> list[Path]:
    """Folders directly in ``folder``, hidden ones and links to folders excluded."""
    if not _is_real_dir(folder):
        return []
    return sorted(p for p in folder.iterdir() if not _ignored(p) and _is_real_dir(p))


def refusal_reason(path: Path) -> str:
    """Why a landed path is not read, in words the data team can act on."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return ("a symbolic link: links are never followed; copy the file itself into the "
                "landing folder")
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISBLK(mode) or stat.S_ISCHR(mode) else "not a regular file")
    return f"{kind}: only regular files are read; copy the file itself into the landing folder"


def refused_entries(folder: Path) -> list[Path]:
    """Links and special files anywhere under ``folder`` (links are reported, not followed;
    hidden entries are ignored as everywhere else). ``folder`` itself may be a link."""
    if folder.is_symlink():
        return [folder]
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):  # os.walk never descends into linked folders
        dirs[:] = [d for d in dirs if not d.startswith((".", "~$"))]
        for name in dirs + files:
            path = Path(root) / name
            mode = path.lstat().st_mode
            if not _ignored(path) and not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
                found.append(path)
    return sorted(found)
