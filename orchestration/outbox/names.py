"""Safe output file names from text the council does not control (the names of the files
schools send, URNs read from their workbooks).

A return can arrive under any name: 250 characters, path separators in a URN, leading dots,
control characters. The outbox names its workbooks after them, so a name is cut down to
letters, digits, ``.``, ``-`` and ``_`` and to :data:`MAX_NAME_BYTES` bytes, leaving room for
the suffixes the outbox adds (``_v12_feedback.xlsx``) well inside the usual 255-byte limit of
a file name. A name that had to be shortened ends with a hash of the whole original text, so
two long names that share a beginning stay two files.
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME_BYTES = 120
HASH_CHARACTERS = 10
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_EDGES = "_.-"


def safe_name(text: str, default: str = "file", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``text`` as a file-name stem: runs of anything but ASCII letters, digits, ``.`` and
    ``-`` become ``_``; no leading or trailing ``.``, ``-`` or ``_`` (so never ``..`` or a
    hidden file); ``default`` when nothing is left; at most ``max_bytes`` bytes, a shortened
    name ending in ``-`` and a short hash of the whole of ``text``."""
    name = _UNSAFE.sub("_", text).strip(_EDGES) or default
    if len(name) <= max_bytes:  # ASCII only: one byte a character
        return name
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARACTERS]
    return f"{name[:max_bytes - HASH_CHARACTERS - 1].rstrip(_EDGES) or default}-{digest}"
