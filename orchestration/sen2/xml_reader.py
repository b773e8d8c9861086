"""Read the SEN2 XML return as a stream: one Person at a time, cleared once read.

Safety. The parser is lxml (libxml2) with entity substitution, DTD loading and network access
off and libxml2's own size guards on (``huge_tree=False``: text nodes up to 10 MB, depth 256).
A SEN2 return never has a DOCTYPE, so any DTD (internal or external, and so every entity
declaration: billion laughs, external entities to local files) quarantines the file at the
root element, before any entity could be used; nothing an entity names is ever read. Our own
limits (``Limits``) are far below libxml2's and are checked as the file streams.

Records. The header (module 0) is the ``Header`` element's leaf items (CollectionDetails and
Source flattened); each ``Person`` under ``Persons`` gives a person record and, nested in it,
its requests, assessment, named plan, plan detail, active plans, placement detail and SEN need
records (spec.CHILDREN). A record's position is its ordinal within its module in document
order, its row the line of its element. Any leaf element is an item (its name in lower case):
items a year does not have are kept, and validate.py says so.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lxml import etree

from orchestration.problems import ERROR, Problem, what
from orchestration.sen2 import spec
from orchestration.sen2.records import REASONS, Record, Sen2FileError, Sen2Return


@dataclass(frozen=True)
class Limits:
    """Size limits, checked while streaming (each with the reason for its value).

    * ``max_bytes`` 4 GiB: a national-size return (every English LA, ~600k persons with all
      their modules at ~2 KB each) is about 1.2 GB; one LA's is a few MB.
    * ``max_records`` 5,000,000 per module: England has ~640k EHC plans and fewer requests a
      year; nothing real comes near, while the count still bounds the work a file can ask for.
    * ``max_depth`` 12: the deepest path of the return is Message/Persons/Person/Requests/
      Assessment/NamedPlan/PlanDetail/<item> (8 levels); 12 leaves room and stops nesting bombs.
    * ``max_item_chars`` 10,000: the longest free-text item (SENSettingOther) is a short
      description; no item needs more.
    """

    max_bytes: int = 4 * 1024**3
    max_records: int = 5_000_000
    max_depth: int = 12
    max_item_chars: int = 10_000


LIMITS = Limits()
SAFE_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                   remove_comments=True, remove_pis=True)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8"}
_PREFIX_BYTES = 512


def read_xml(path: str | Path, limits: Limits = LIMITS) -> Sen2Return:
    """The whole return as records (see ``iter_xml`` for a stream)."""
    result = Sen2Return("xml")
    for item in iter_xml(path, limits, result.problems):
        result.add(item)
    if not result.records["header"]:
        raise Sen2FileError("missing_header", f"{Path(path).name}: {_reason('missing_header')}")
    return result


def iter_xml(path: str | Path, limits: Limits = LIMITS,
             problems: list[Problem] | None = None) -> Iterator[Record]:
    """Each record of the return in document order, a Person's subtree at a time.

    Raises :class:`Sen2FileError` for a file that cannot be read as a return; ``problems``
    gathers record-level problems found while reading (an item given twice)."""
    path = Path(path)
    _check_prefix(path, limits)
    reader = _Reader(path.name, limits, problems if problems is not None else [])
    etree.clear_error_log()  # libxml2's log is per thread: keep only this file's errors
    context = etree.iterparse(str(path), events=("start", "end"), tag=_STRUCTURE, **SAFE_PARSER)
    try:
        yield from reader.records(context)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path.name, exc) from None
    finally:
        del context


# libxml2 keeps an element's line in 16 bits: from this line on lxml reads it elsewhere
_LINE_CAP = 65535


def _line(element) -> int | None:
    """The line an element starts on. Past line 65,535 libxml2 has no line for an element and
    lxml gives that of the text after its start tag, counted where that text ends: a start tag
    followed by a line break read one line late (every record of a return of more than about
    1,300 persons). The text's line breaks are taken off again."""
    line = element.sourceline
    if line is None or line < _LINE_CAP:
        return line
    if element.text is not None:
        return line - element.text.count("\n")
    if len(element):
        return _line(element[0])  # the first child starts on the same line
    return line - (element.tail or "").count("\n")  # an empty element: its tail's line


def _reason(rule: str) -> str:
    return REASONS[rule]


def _check_prefix(path: Path, limits: Limits) -> None:
    """What the first bytes and the size say: empty, too large, a zip, not UTF-8."""
    name = path.name
    size = os.stat(path).st_size
    if size == 0:
        raise Sen2FileError("empty_file", f"{name}: {_reason('empty_file')} (0 bytes)")
    if size > limits.max_bytes:
        raise Sen2FileError("too_large", f"{name}: {size:,} bytes, over the limit of "
                                         f"{limits.max_bytes:,} bytes for a SEN2 return")
    with open(path, "rb") as handle:
        prefix = handle.read(_PREFIX_BYTES)
    if prefix.startswith(b"PK\x03\x04") or prefix.startswith(b"PK\x05\x06"):
        raise Sen2FileError("not_xml", f"{name}: a zip archive (or Excel workbook), not XML;"
                                       " unzip it and send the XML return itself")
    if prefix.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Sen2FileError("wrong_encoding", f"{name}: UTF-16 text; a SEN2 return is UTF-8")
    stripped = prefix.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        raise Sen2FileError("empty_file", f"{name}: {_reason('empty_file')} (only blanks)")
    if not stripped.startswith(b"<"):
        raise Sen2FileError("not_xml", f"{name}: does not start with an XML tag, so it is not"
                                       " an XML file")
    if (declared := _DECLARED_ENCODING.match(stripped)) and \
            declared[1].lower() not in _UTF8_NAMES:
        raise Sen2FileError("wrong_encoding", f"{name}: declares encoding "
                                              f"{declared[1].decode('ascii')}; a SEN2 return is UTF-8")


def _syntax_error(name: str, exc: etree.XMLSyntaxError) -> Sen2FileError:
    """libxml2's complaint, as a quarantine reason (its messages name tags, entities, lines and
    columns, not text content). The file is known to start with a tag (_check_prefix)."""
    first = exc.error_log[0] if len(exc.error_log) else None
    text = (first.message if first is not None else str(exc)).split("\n")[0].strip()
    line = first.line if first is not None else getattr(exc, "lineno", None)
    where = f" (line {line})" if line else ""
    if "not proper UTF-8" in text or "encoding" in text.lower():
        # libxml2 goes on to list the offending bytes: never repeat them (they are data)
        return Sen2FileError("wrong_encoding", f"{name}: text that is not UTF-8{where}; a "
                                               "SEN2 return is UTF-8")
    if ("Premature end of data" in text or "EndTag: '</' not found" in text
            or "Incomplete UTF-8 sequence" in text):  # cut inside a tag or a character
        return Sen2FileError("truncated", f"{name}: {_reason('truncated')}{where}")
    if "huge" in text.lower():
        return Sen2FileError("item_too_long", f"{name}: {_reason('item_too_long')}{where}")
    return Sen2FileError("malformed_xml", f"{name}: {_reason('malformed_xml')}{where}: "
                                          f"{_without_data(text)}")


def _without_data(text: str) -> str:
    """libxml2's complaint up to where it would quote bytes of the file (they are data)."""
    for quoting in ("Bytes:", "starting with"):
        text = text.split(quoting)[0]
    return text.strip().rstrip(",")


class _Reader:
    """Turns iterparse events into records; one instance per file.

    libxml2 reports only the structural elements (``_STRUCTURE``: the root, the header, the
    persons and each person): where each stands is checked when it starts, anything else
    beside them when the next one starts or its parent ends, and a person's or the header's
    subtree is read in one walk over its children when it ends. Every element of the file is
    either inside a header or person walked whole or is one of those checked, so nothing is
    skipped unread."""

    def __init__(self, name: str, limits: Limits, problems: list[Problem]):
        self.name = name
        self.limits = limits
        self.problems = problems
        self.counts = {m.key: 0 for m in spec.MODULES}
        self.root = None
        self.person = None  # the person element being read

    def records(self, context) -> Iterator[Record]:
        for event, element in context:
            if self.root is None:
                self._check_root(element.getroottree().getroot())
            tag = element.tag
            if event == "start":
                self._check_place(element, tag)
            elif not self._in_place(element, tag):
                continue  # an item of a header or person (read by its walk)
            elif tag == _PERSON:
                self.person = element
                person: list[Record] = []
                self._walk(element, "person", 1, None, 3, person)
                _release(element)
                yield from person
            elif tag == _HEADER:
                yield self._header(element)
                _release(element)
            else:  # Persons or the root: everything in it was one of the elements expected
                self._check_children(element)
        if self.root is None and context.root is not None:  # no structural element at all
            self._check_root(context.root)
            self._check_children(context.root)

    def _check_place(self, element, tag: str) -> None:
        """Only the header and the persons under the root, only persons in ``Persons``, one
        header: anything else would be skipped unread, so the file is refused instead."""
        parent = element.getparent()
        if parent is None:
            return  # the root
        if not self._in_place(element, tag):
            if self._in_record(element):
                return  # an item of a header or person, named as an element of the structure
            self._check_ancestors(element)
        if tag == _HEADER and self.counts["header"]:
            raise Sen2FileError("unexpected_element", f"{self.name}: a second "
                                                      f"{tag} on line "
                                                      f"{_line(element)}; a return has one")
        previous = element.getprevious()
        if previous is not None:
            self._check_child(parent, previous)

    def _in_place(self, element, tag: str) -> bool:
        """Whether a structural element stands where the return has it."""
        parent = element.getparent()
        if parent is None:
            return True
        if parent is self.root:
            return tag in _PLACES[spec.ROOT]
        return tag == _PERSON and parent.tag == spec.PERSONS and parent.getparent() is self.root

    def _in_record(self, element) -> bool:
        """Whether the element is inside the header or a person (so read as one of its
        items, whatever its name)."""
        ancestor = element.getparent()
        while ancestor is not None:
            if ancestor.tag in (_HEADER, _PERSON) and self._in_place(ancestor, ancestor.tag):
                return True
            ancestor = ancestor.getparent()
        return False

    def _check_ancestors(self, element) -> None:
        """The first element on the way from the root to ``element`` that stands where a SEN2
        return has none (the element itself when it is nested deeper than its place)."""
        path = [element]
        while (parent := path[-1].getparent()) is not None:
            path.append(parent)
        for depth, (parent, child) in enumerate(zip(path[:0:-1], path[-2::-1]), start=2):
            if depth > 3 or child.tag not in _PLACES.get(parent.tag, ()):
                self._refuse_place(parent, child)
        raise AssertionError("an element out of place was not found")  # cannot happen

    def _check_children(self, parent) -> None:
        for child in parent:
            self._check_child(parent, child)

    def _check_child(self, parent, child) -> None:
        if child.tag not in _PLACES.get(parent.tag, ()):
            self._refuse_place(parent, child)

    def _refuse_place(self, parent, child) -> None:
        allowed = _PLACES.get(parent.tag, ())
        tag = child.tag if isinstance(child.tag, str) else "(not an element)"
        if parent.tag == spec.PERSONS or parent is self.root:
            raise Sen2FileError("unexpected_element", f"{self.name}: element {tag} on "
                                                      f"line {_line(child)} in {parent.tag};"
                                                      f" a SEN2 return has only "
                                                      f"{' and '.join(allowed)} there")
        raise Sen2FileError("unexpected_element", f"{self.name}: element {tag} on line "
                                                  f"{_line(child)} in {parent.tag}; a SEN2"
                                                  " return has none there")

    def _check_root(self, root) -> None:
        if root.getroottree().docinfo.doctype:
            raise Sen2FileError("dtd_forbidden", f"{self.name}: {_reason('dtd_forbidden')}")
        if root.tag != spec.ROOT:
            raise Sen2FileError("wrong_root", f"{self.name}: the root element is "
                                              f"{root.tag}; a SEN2 return's is "
                                              f"{spec.ROOT} (with no namespace)")
        self.root = root

    def _too_deep(self, element, depth: int) -> Sen2FileError:
        return Sen2FileError("too_deep", f"{self.name}: element {element.tag} on line "
                                         f"{_line(element)} is nested {depth} deep, over"
                                         f" the limit of {self.limits.max_depth}")

    def _refuse_too_deep(self) -> None:
        """Refuse the person being read when an element in it is nested deeper than the
        limit (the first one in document order is named)."""
        limit = self.limits.max_depth
        pending = [(self.person, 3)]
        while pending:
            element, depth = pending.pop()
            if depth > limit:
                raise self._too_deep(element, depth)
            pending.extend((child, depth + 1) for child in reversed(element)
                           if isinstance(child.tag, str))

    def _count(self, module: str, element) -> int:
        self.counts[module] += 1
        if self.counts[module] > self.limits.max_records:
            raise self._too_many(module, element)
        return self.counts[module]

    def _too_many(self, module: str, element) -> Sen2FileError:
        return Sen2FileError("too_many_records", f"{self.name}: over "
                                                 f"{self.limits.max_records:,} {module} records"
                                                 f" (line {_line(element)})")

    def _text(self, element) -> str | None:
        text = element.text
        if text is not None and len(text) > self.limits.max_item_chars:
            raise Sen2FileError("item_too_long", f"{self.name}: element "
                                                 f"{element.tag} on line "
                                                 f"{_line(element)} holds {len(text):,}"
                                                 f" characters, over the limit of "
                                                 f"{self.limits.max_item_chars:,}")
        return text

    def _header(self, element) -> Record:
        position = self._count("header", element)
        values: dict[str, str | None] = {}
        self._header_items(element, values, position, 2)
        return Record("header", position, values, None, None, self.name, _line(element))

    def _header_items(self, element, values: dict, position: int, depth: int) -> None:
        """The header's leaf items at any depth (CollectionDetails and Source flattened)."""
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if depth + 1 > self.limits.max_depth:
                raise self._too_deep(child, depth + 1)
            if len(child):
                self._header_items(child, values, position, depth + 1)
            else:
                self._put(values, child, "header", position)

    def _walk(self, element, module: str, parent: int | None, person: int | None,
              depth: int, out: list[Record]) -> None:
        """The record of ``element`` (nested ``depth`` deep) then, depth first, those nested
        in it, onto ``out``. The leaf loop is inlined: it runs once per item of the file."""
        counts = self.counts
        counts[module] = position = counts[module] + 1
        if position > self.limits.max_records:
            raise self._too_many(module, element)
        if depth >= self.limits.max_depth and len(element):
            self._refuse_too_deep()
        person = position if module == "person" else person
        values: dict[str, str | None] = {}
        out.append(Record(module, position, values, parent, person, self.name,
                          _line(element)))
        nested = []
        children = _CHILD_TAGS[module]
        longest = self.limits.max_item_chars
        names = _ITEM_NAMES
        for child in element:
            tag = child.tag
            name = names.get(tag)
            if name is None:
                if tag in children:
                    nested.append((child, children[tag]))
                    continue
                if not isinstance(tag, str):
                    continue  # an entity reference left unexpanded (cannot happen without a DTD)
                name = tag.lower()
            if len(child):
                self._refuse_too_deep()
                raise Sen2FileError("unexpected_element", f"{self.name}: element "
                                                          f"{tag} on line "
                                                          f"{_line(child)} (in {module}) "
                                                          "holds elements; a SEN2 item holds text")
            text = child.text
            if name in values or (text is not None and len(text) > longest):
                self._put(values, child, module, position)
            else:
                values[name] = text
        for child, key in nested:
            self._walk(child, key, position, person, depth + 1, out)

    def _put(self, values: dict, leaf, module: str, position: int) -> None:
        name = leaf.tag.lower()
        text = self._text(leaf)
        if name not in values:
            values[name] = text
            return
        m = spec.MODULE[module]
        self.problems.append(Problem(
            "repeated_item",
            f"{self.name} line {_line(leaf)}: module {m.number} {m.title} record {position},"
            f" item {name}: {what('repeated_item')}",
            _line(leaf), name, None, ERROR))


_HEADER, _PERSON = spec.MODULE["header"].xml, spec.MODULE["person"].xml
_STRUCTURE = (spec.ROOT, _HEADER, spec.PERSONS, _PERSON)  # the elements libxml2 reports
_PLACES = {spec.ROOT: (_HEADER, spec.PERSONS), spec.PERSONS: (_PERSON,)}
_CHILD_TAGS = {m.key: {spec.MODULE[c].xml: c for c in spec.CHILDREN[m.key]} for m in spec.MODULES}
# element name -> item name, for every item the specification knows (an element of a module's
# record element is a nested record when it is no item's element: no item shares a module's
# element name)
_ITEM_NAMES = {i.xml: sys.intern(i.name) for i in spec.ITEMS}
assert not set(_ITEM_NAMES) & {m.xml for m in spec.MODULES}


def _release(element) -> None:
    """Free a record's subtree once read, and the siblings already read before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
