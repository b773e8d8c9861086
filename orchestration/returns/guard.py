"""Limits a returned workbook must meet before it is read, checked without reading it.

python-calamine allocates by a sheet's declared ``<dimension>`` and by its cells' positions,
and a Rust allocation failure aborts the whole process: a 19 KB workbook declaring
``A1:XFD1048576`` is enough. So before a workbook is read, :func:`check_workbook` looks only
at the zip directory (names and sizes, nothing decompressed) and at the first few KB of each
worksheet and of the shared strings, and refuses anything beyond the limits below with a
:class:`ReturnStructureError` the school can act on. The reader then enforces the same row
and column caps on what it actually read (a ``<dimension>`` may be absent or lie), and it runs
in a worker process with a memory limit (workers.py), so whatever gets past both costs one
quarantined file, never the night.

The template's sheets are small (widest: 11 columns; a school's pupils plus 60 blank rows),
so every limit leaves a lot of headroom; all of them are here, in one place.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from openpyxl.utils import column_index_from_string

from orchestration.returns import layout
from orchestration.returns.reader import (
    DAMAGED, PASSWORD_PROTECTED, RESEND_SMALLER, ReturnStructureError, check_file_signature,
    sheet_parts,
)

MiB = 1024 * 1024

# --- the limits ----------------------------------------------------------------------------
TEMPLATE_COLUMNS = max(len(sheet.headers) for sheet in layout.DATA_SHEETS)  # 11 (Pupils)
MAX_SHEET_ROWS = 10_000  # rows per sheet: a school lists tens of pupils, not thousands
MAX_SHEET_COLUMNS = max(100, 5 * TEMPLATE_COLUMNS)  # columns per sheet (A to CV)
MAX_AREA = (MAX_SHEET_ROWS, MAX_SHEET_COLUMNS)  # the reader's cap on what it read
MAX_FILE_BYTES = 20 * MiB  # the workbook as sent; a 10,000-pupil return is ~0.6 MB
MAX_PARTS = 500  # files inside the zip; the template has 15, Excel adds a few
MAX_PART_BYTES = 64 * MiB  # any one part, uncompressed (10,000 full rows: ~5 MB of XML)
MAX_TOTAL_BYTES = 256 * MiB  # all parts together, uncompressed
MAX_COMPRESSION_RATIO = 100  # uncompressed / compressed; template XML is ~3-10
RATIO_CHECKED_FROM_BYTES = 1 * MiB  # small parts may compress oddly well: harmless
MAX_SHARED_STRINGS_BYTES = 32 * MiB  # the shared strings part (<sst>), uncompressed
MAX_SHARED_STRINGS = MAX_SHEET_ROWS * MAX_SHEET_COLUMNS  # distinct texts the sheets could hold

HEADER_BYTES = 16 * 1024  # how much of a part's XML is read to find its header element
PACKED_BYTES = 512  # packed bytes inflated per part: a header is a few hundred bytes
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # zip local file header, up to the two lengths
_WORKSHEET = re.compile(rb"<(?:\w+:)?worksheet\b")
_SHARED_STRINGS = re.compile(rb"<(?:\w+:)?sst\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=[\"']([^\"']*)[\"']")
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")
_STRING_COUNT = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\buniqueCount=[\"'](\d+)[\"']")
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


def check_workbook(path: Path) -> None:
    """Raise ReturnStructureError if the workbook breaks a limit (or is not a workbook)."""
    path = Path(path)
    check_file_signature(path)
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise _too_large(f"the file is {_mb(size)}; a return is at most {_mb(MAX_FILE_BYTES)}")
    try:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            _check_directory(archive.infolist())
            _check_parts(archive, handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError,
            NotImplementedError, zlib.error) as error:
        raise ReturnStructureError(DAMAGED, "damaged_workbook") from error


def _check_directory(parts: list[zipfile.ZipInfo]) -> None:
    """Sizes from the zip directory: nothing is decompressed."""
    if len(parts) > MAX_PARTS:
        raise _too_large(f"it holds {len(parts):,} files inside; a workbook holds at most "
                         f"{MAX_PARTS:,}")
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size >= RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ReturnStructureError(
                f"the workbook is not a normal Excel file: its part {_quoted(part.filename)} "
                f"unpacks to {ratio:,.0f} times its packed size (a 'zip bomb'); fill in the "
                "council's template in Excel and send that", "zip_bomb")
        if part.file_size > MAX_PART_BYTES:
            raise _too_large(f"its part {_quoted(part.filename)} unpacks to "
                             f"{_mb(part.file_size)}; the limit is {_mb(MAX_PART_BYTES)}")
    if total > MAX_TOTAL_BYTES:
        raise _too_large(f"it unpacks to {_mb(total)}; the limit is {_mb(MAX_TOTAL_BYTES)}")


def _check_parts(archive: zipfile.ZipFile, handle) -> None:
    """Every part is told by its root element, not its name (the workbook's relationships
    can point anywhere): a worksheet's declared dimension, the shared strings' size and
    declared count."""
    for part in archive.infolist():
        head = _start(archive, handle, part, PACKED_BYTES)
        if _WORKSHEET.search(head):
            match = _DIMENSION.search(head)
            if not (match or _SHEET_DATA.search(head)) and len(head) < part.file_size:
                match = _DIMENSION.search(_start(archive, handle, part, None))  # long header
            if match:
                _check_dimension(archive, part.filename, match.group(1).decode("ascii", "replace"))
        elif _SHARED_STRINGS.search(head):
            count = _STRING_COUNT.search(head)
            if part.file_size > MAX_SHARED_STRINGS_BYTES:
                raise _too_large(f"its text cells take {_mb(part.file_size)}; the limit is "
                                 f"{_mb(MAX_SHARED_STRINGS_BYTES)}")
            if count and int(count.group(1)) > MAX_SHARED_STRINGS:
                raise _too_large(f"it declares {int(count.group(1)):,} different texts; the "
                                 f"limit is {MAX_SHARED_STRINGS:,}")


def _start(archive: zipfile.ZipFile, handle, part: zipfile.ZipInfo, packed: int | None) -> bytes:
    """Up to HEADER_BYTES from the start of a part, inflating at most ``packed`` bytes of it
    (None: as many as it takes).

    A small read and a partial inflate straight from the part's local entry (microseconds;
    zipfile's own reader costs many times more); zipfile streams a part packed otherwise."""
    if part.flag_bits & 1:
        raise ReturnStructureError(PASSWORD_PROTECTED, "password_protected")
    if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with archive.open(part) as stream:
            return stream.read(HEADER_BYTES)
    handle.seek(part.header_offset)
    local = handle.read(_LOCAL_HEADER.size)
    if len(local) < _LOCAL_HEADER.size or not local.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = _LOCAL_HEADER.unpack(local)[-2:]
    handle.seek(part.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    data = handle.read(part.compress_size if packed is None else min(part.compress_size, packed))
    if part.compress_type == zipfile.ZIP_STORED:
        return data[:HEADER_BYTES]
    try:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, HEADER_BYTES)
    except zlib.error as error:
        raise zipfile.BadZipFile(f"bad deflate data: {error}") from error


def _check_dimension(archive: zipfile.ZipFile, part: str, ref: str) -> None:
    last = _CELL.fullmatch(ref.split(":")[-1].strip())
    if last is None:
        return  # not a cell reference: the reader's caps still apply to what it reads
    rows, columns = int(last.group(2)), column_index_from_string(last.group(1).upper())
    if rows > MAX_SHEET_ROWS or columns > MAX_SHEET_COLUMNS:
        raise ReturnStructureError(
            f"the {_sheet_label(archive, part)} says it uses cells up to "
            f"{last.group(1).upper()}{rows} ({rows:,} rows by {columns:,} columns); a return's "
            f"sheets have at most {MAX_SHEET_ROWS:,} rows and {MAX_SHEET_COLUMNS:,} columns: "
            f"{RESEND_SMALLER}", "declared_dimension_too_large")


def _sheet_label(archive: zipfile.ZipFile, part: str) -> str:
    """'Pupils sheet' for the part holding the Pupils sheet, else the part's name."""
    try:
        names = {target: name for name, target in sheet_parts(archive).items()}
    except Exception:  # noqa: BLE001 - only for the message: any damage is found by the reader
        names = {}
    return f"{names[part][:80]} sheet" if part in names else f"sheet in {_quoted(part)}"


def _too_large(what: str) -> ReturnStructureError:
    return ReturnStructureError(
        f"the workbook is too large to be a return: {what}; {RESEND_SMALLER}", "too_large")


def _quoted(text: str) -> str:
    return "'" + text[:80] + "'"


def _mb(size: int) -> str:
    return f"{size / MiB:,.1f} MB"
