"""The SEN2 XML return as per-module column batches, read by the C extension ``_native``.

A fast path beside the reference reader (``xml_reader.iter_xml``): whenever the extension meets
anything it is not certain it reads exactly as iter_xml does (any XML error, a DOCTYPE, a
comment or CDATA inside a record, a repeated item, an element out of place, a limit reached,
lines iter_xml could count differently, a non-UTF-8 declaration...) it raises
:class:`NativeFallback` and the caller re-reads the file with ``iter_xml``, whose verdict is
the one recorded. When it does not raise, ``records_from_tables`` of its batches equals
iter_xml's records exactly. NativeFallback can come after some batches were handed out.

``available()`` is False when the extension was not built (no C compiler at install time:
setup.py builds it as optional) or the environment has ``SEND_SEN2_NATIVE=0``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from orchestration.sen2 import spec, xml_reader
from orchestration.sen2.records import (
    LINE, META_COLUMNS, PARENT, PERSON, POSITION, Record, Sen2FileError,
)

try:
    from orchestration.sen2 import _native
except ImportError:  # not built: the pure-Python reader is used
    _native = None

_CHUNK = 1 << 20  # bytes read and parsed at a time (tests make it small)
ID_COLUMNS = META_COLUMNS  # where a record sits, beside its item columns
_MODULE_ORDER = {m.key: n for n, m in enumerate(spec.MODULES)}
# the XML declarations the extension is sure of (it reads the file as UTF-8 whatever it says)
_DECLARATION = re.compile(rb"""<\?xml\s+version\s*=\s*(["'])1\.0\1"""
                          rb"""(\s+encoding\s*=\s*(["'])[Uu][Tt][Ff]-8\3)?"""
                          rb"""(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>""")


class NativeFallback(Exception):
    """The native reader is not sure of this file: read it with ``iter_xml``. ``reason`` is
    plain words (never a value from the file)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def available() -> bool:
    """Whether the extension is built and not switched off (``SEND_SEN2_NATIVE=0``)."""
    return _native is not None and os.environ.get("SEND_SEN2_NATIVE", "") != "0"


def column_batches(path: str | Path, limits: xml_reader.Limits = xml_reader.LIMITS,
                   batch_persons: int = 20_000) -> Iterator[dict[str, pa.Table]]:
    """The return in batches of ``batch_persons`` whole persons (the last fewer; the header in
    the first): a dict module key -> Table with int64 ``position``, ``parent``, ``person``,
    ``line`` (as iter_xml's Record: header's parent and person null, a person's parent 1) and
    one string column per item with a value in the batch (absent item: null; an element
    with no text: ""). A module with no record in the batch is absent.

    Raises NativeFallback (possibly after some batches) when not sure of the file."""
    if _native is None:
        raise NativeFallback("the native reader is not built")
    path = Path(path)
    try:
        xml_reader._check_prefix(path, limits)
    except Sen2FileError:
        raise NativeFallback("the file's first bytes or size are for the reference reader") \
            from None
    except OSError:
        raise NativeFallback("the file could not be read") from None
    with open(path, "rb") as handle:
        prefix = handle.read(512).removeprefix(b"\xef\xbb\xbf")
    if prefix.startswith(b"<?xml") and not _DECLARATION.match(prefix):
        raise NativeFallback("an XML declaration other than version 1.0, UTF-8")
    try:
        reader = _native.Reader(str(path), limits.max_bytes, limits.max_records,
                                limits.max_depth, limits.max_item_chars, batch_persons, _CHUNK)
    except (ValueError, OverflowError, TypeError):
        raise NativeFallback("limits the native reader does not take") from None
    except OSError:
        raise NativeFallback("the file could not be read") from None
    while True:
        try:
            batch = next(reader)
        except StopIteration:
            return
        except _native.Fallback as exc:
            raise NativeFallback(str(exc)) from None
        yield {module: _table(module, *parts) for module, parts in batch.items()}


def _int64(n: int, data: bytes) -> pa.Array:
    return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(data)])


def _table(module: str, n: int, position: bytes, parent: bytes, person: bytes, line: bytes,
           columns: list) -> pa.Table:
    if module == "header":
        ids = [_int64(n, position), pa.nulls(n, pa.int64()), pa.nulls(n, pa.int64()),
               _int64(n, line)]
    else:
        ids = [_int64(n, position), _int64(n, parent), _int64(n, person), _int64(n, line)]
    arrays, names = ids, list(ID_COLUMNS)
    for name, offsets, data, valid, nulls in columns:
        arrays.append(pa.Array.from_buffers(
            pa.string(), n, [pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(data)],
            null_count=nulls))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def records_from_tables(tables: dict[str, pa.Table], source: str) -> list[Record]:
    """The batch's records as iter_xml gives them (values: an item present iff not null, ""
    -> None; row = line; source = the file's name), in module order then position."""
    out: list[Record] = []
    for module in sorted(tables, key=_MODULE_ORDER.__getitem__):
        columns = tables[module].to_pydict()
        items = [name for name in columns if name not in ID_COLUMNS]
        for i, position in enumerate(columns[POSITION]):
            values = {name: (columns[name][i] or None) for name in items
                      if columns[name][i] is not None}
            out.append(Record(module, position, values, columns[PARENT][i],
                              columns[PERSON][i], source, columns[LINE][i]))
    out.sort(key=lambda r: (_MODULE_ORDER[r.module], r.position))
    return out
