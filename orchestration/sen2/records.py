"""What both readers give: a SEN2 return as per-module records, every value as landed text.

A :class:`Record` is one record of one module: its items by name (spec.py: the XML element in
lower case, the Blade column), its ``position`` (1-based ordinal within its module, in file
order), the position of its parent record and of the person it belongs to, and where it was
read (file and row: the Blade CSV row, header = row 1; the XML line of its element). The Blade
export's own identifier columns are kept in ``ids``; they are not SEN2 items and the XML has
none, so :meth:`Record.content` (what is compared across formats) leaves them out.

A file that cannot be read as a SEN2 return at all raises :class:`Sen2FileError`, whose
``rule`` is a short quarantine reason code (``REASONS``) and ``reason`` a plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.problems import Problem
from orchestration.sen2 import spec

# Quarantine reason codes: rule -> what is wrong with the file.
REASONS = {
    "empty_file": "the file is empty",
    "not_xml": "not an XML file",
    "malformed_xml": "not well-formed XML",
    "truncated": "the XML ends before the return does (cut short while saving or uploading)",
    "dtd_forbidden": "the XML declares a DTD or entities, which a SEN2 return never has "
                     "(refused unread: entity expansion and external references are unsafe)",
    "wrong_encoding": "the XML is not declared as UTF-8",
    "wrong_root": "the root element is not a SEN2 Message",
    "missing_header": "the return has no header (module 0)",
    "unexpected_element": "the return has an element (or header row) where a SEN2 return has "
                          "none, which would otherwise be skipped unread",
    "too_large": "far larger than a SEN2 return can be",
    "too_many_records": "more records in one module than a SEN2 return can hold",
    "too_deep": "elements nested deeper than a SEN2 return's structure",
    "item_too_long": "an item's text is far longer than any SEN2 item",
    "missing_module_file": "a file of the Blade CSV set is missing",
    "ambiguous_module_file": "more than one file of the Blade CSV set for the same module",
    "unreadable": "the file could not be read",
    "encoding": "a Blade CSV file is neither UTF-8 nor Windows-1252",
    "duplicate_column": "a Blade CSV file has the same column twice",
}


# A return read as columns (sen2/native_reader.py): one Arrow table per module and batch, each
# with these four columns (a record's position, its parent's and its person's, and its line)
# and one text column per item. '#' cannot occur in an XML name, so no item column clashes.
POSITION, PARENT, PERSON, LINE = "#position", "#parent", "#person", "#line"
META_COLUMNS = (POSITION, PARENT, PERSON, LINE)


class Sen2FileError(Exception):
    """The file (or Blade set) cannot be read as a SEN2 return; it is quarantined whole.

    ``rule`` is a key of ``REASONS``; ``reason`` says why in plain words, naming the file,
    line and element or column where that helps, and never a value from the data.
    """

    def __init__(self, rule: str, reason: str):
        super().__init__(f"{rule}: {reason}")
        self.rule = rule
        self.reason = reason


@dataclass
class Record:
    module: str
    position: int
    values: dict[str, str | None]
    parent: int | None = None  # the parent record's position in its module
    person: int | None = None  # the position of the person record it belongs to
    source: str = ""
    row: int | None = None
    ids: dict[str, str | None] = field(default_factory=dict)  # Blade identifier columns

    @property
    def content(self) -> tuple:
        """What the record says, the same whichever format it came from: blank items are
        left out (an absent XML element and an empty Blade cell are the same)."""
        filled = tuple(sorted((k, v) for k, v in self.values.items() if v is not None))
        return (self.module, self.position, self.parent, self.person, filled)

    @property
    def where(self) -> str:
        """The record named for a message: module, position and the person it belongs to."""
        m = spec.MODULE[self.module]
        text = f"module {m.number} {m.title} record {self.position}"
        if self.person is not None and self.module != "person":
            text += f" (person record {self.person})"
        return text


@dataclass
class Sen2Return:
    """A whole return: the header record and each module's records, in file order, with
    the problems found while reading (a repeated item, a child whose parent is missing)."""

    format: str  # "xml" or "blade"
    records: dict[str, list[Record]] = field(
        default_factory=lambda: {m.key: [] for m in spec.MODULES})
    problems: list[Problem] = field(default_factory=list)

    @property
    def header(self) -> Record:
        return self.records["header"][0]

    @property
    def year(self) -> int | None:
        """The collection year, when the header names one spec.py describes."""
        return spec.supported_year(self.header.values.get("year"))

    def add(self, record: Record) -> None:
        self.records[record.module].append(record)

    def content(self) -> dict[str, list[tuple]]:
        return {module: [r.content for r in records] for module, records in self.records.items()}
