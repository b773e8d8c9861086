"""Decoding landed CSV bytes and matching their headers to a contract source.

Encodings: UTF-8 (a BOM is dropped), else Windows-1252; anything else cannot be decoded and
the file is quarantined (rule ``encoding``). Line endings CRLF or LF. Row numbers are the
rows a person sees when opening the file in Excel: the header is row 1. Rows whose every
field is blank are not data rows (they keep their row number but are not counted).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from orchestration import contract
from orchestration.problems import WARNING, Problem

csv.field_size_limit(16 * 1024 * 1024)


class Quarantine(Exception):
    """The whole file cannot be loaded; ``rows_counted`` data rows are rejected with it."""

    def __init__(self, rule: str, message: str, rows_counted: int = 0, column: str | None = None):
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.rows_counted = rows_counted
        self.column = column


@dataclass
class RawCsv:
    headers: list[str]  # trimmed, as written in the file
    records: list[tuple[int, list[str]]]  # (row number, fields) for each data row
    encoding: str


def decode(data: bytes, source_file: str) -> tuple[str, str]:
    """Text and the encoding it was read with."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        line = data.count(b"\n", 0, exc.start) + 1
        raise Quarantine(
            "encoding",
            f"{source_file}: byte 0x{bad:02X} on line {line} is neither UTF-8 nor Windows-1252,"
            " so the file cannot be read; export it again as UTF-8 CSV",
        ) from None
    return text, "cp1252"


def read_csv(data: bytes, source_file: str) -> RawCsv:
    if not data.strip():
        raise Quarantine("empty_file", f"{source_file}: the file is empty (no header row)")
    text, encoding = decode(data, source_file)
    if "\x00" in text:
        raise Quarantine(
            "unreadable",
            f"{source_file}: contains NUL bytes, so it is not a CSV text file"
            " (a spreadsheet or UTF-16 export?); export it again as UTF-8 CSV",
        )
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise Quarantine("unreadable", f"{source_file}: not a readable CSV file ({exc})") from None
    numbered = [(number, fields) for number, fields in enumerate(rows, start=1)
                if "".join(fields).strip()]
    if not numbered:
        raise Quarantine("empty_file", f"{source_file}: the file is empty (no header row)")
    (_, header), *records = numbered
    return RawCsv([name.strip() for name in header], records, encoding)


def rows_at(data: bytes, source_file: str, numbers: set[int]) -> dict[int, list[str]]:
    """The raw fields of the given rows (numbered as in read_csv), read again from the bytes."""
    text, _ = decode(data, source_file)
    rows = enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    return {number: fields for number, fields in rows if number in numbers}


def _normalise(header: str) -> str:
    return header.strip().lower()


def match_columns(raw: RawCsv, source: contract.CsvSource,
                  source_file: str) -> tuple[dict[str, int], list[Problem]]:
    """Position of each contract field in the file, and warnings for absent optional ones.

    Quarantines the file when a required column is missing or a contract column appears twice.
    """
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(raw.headers):
        positions.setdefault(_normalise(header), []).append(index)

    found: dict[str, int] = {}
    missing_required, warnings = [], []
    for f in source.fields:
        where = positions.get(_normalise(f.name), [])
        if len(where) > 1:
            raise Quarantine(
                "duplicate_column",
                f"{source_file}: column {f.name} appears {len(where)} times in the header,"
                " so its values are ambiguous; the file was not loaded",
                rows_counted=len(raw.records), column=f.name,
            )
        if where:
            found[f.name] = where[0]
        elif f.required:
            missing_required.append(f.name)
        else:
            warnings.append(Problem(
                "missing_optional_column",
                f"{source_file}: optional column {f.name} is missing; its values are loaded"
                " as blank",
                column=f.name, severity=WARNING,
            ))
    if missing_required:
        names = ", ".join(missing_required)
        raise Quarantine(
            "missing_required_column",
            f"{source_file}: required column(s) {names} missing from the header row;"
            " the whole file was quarantined",
            rows_counted=len(raw.records), column=names,
        )
    return found, warnings
