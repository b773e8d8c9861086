"""Nightly Synergy snapshots: each child's full history, cut at each extract's as-of date."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from orchestration import contract
from orchestration.sample_data.children import PersonRecord
from orchestration.sample_data.scenario import as_of, uk_date


@dataclass(frozen=True)
class Visibility:
    """When a row exists in the system, and which fields are only known later."""
    appears: str  # the date field (or hidden _field) from which the row exists
    later: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (date field, fields it reveals)


VISIBILITY = {
    "person.csv": Visibility("_first_seen"),
    "request.csv": Visibility("received_date", (("request_outcome_date", ("request_outcome", "request_outcome_date")),)),
    "assessment.csv": Visibility("_start", (("assessment_outcome_date", ("assessment_outcome", "assessment_outcome_date", "week20_exception")),)),
    "named_plan.csv": Visibility("start_date", (("cease_date", ("cease_date", "cease_reason")),)),
    "sen_need.csv": Visibility("_start"),
    "placement.csv": Visibility("entry_date", (("leaving_date", ("leaving_date",)),)),
    "annual_review.csv": Visibility("review_meeting_date", (("review_decision_date", ("review_outcome", "review_decision_date")),)),
}
COLUMNS = {source.file_name: source.columns for source in contract.SYNERGY_FILES}


def person_row(record: PersonRecord) -> dict:
    person = record.person
    easting, northing = person.home_point or ("", "")
    return {
        "person_id": person.person_id, "upn": person.upn, "uln": person.uln,
        "surname": person.surname, "forename": person.forename,
        "date_of_birth": person.date_of_birth, "sex": person.sex, "ethnicity": person.ethnicity,
        "postcode": person.postcode, "home_easting": easting, "home_northing": northing,
        "home_district": person.home_district, "_first_seen": person.first_seen,
    }


_DATE_TEXT: dict[dt.date, str] = {}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        text = _DATE_TEXT.get(value)
        if text is None:
            text = _DATE_TEXT[value] = uk_date(value)
        return text
    return str(value)


class NightlyExtracts:
    """The seven CSVs of each night, written side by side, one row at a time.

    A row is formatted once; each night shows it as of its own cut-off.
    """

    def __init__(self, root: Path, extract_dates: tuple[dt.date, ...]):
        self.folders = [root / contract.LANDING_SYNERGY / day.isoformat() for day in extract_dates]
        self.paths = [folder.relative_to(root).as_posix() for folder in self.folders]
        self.cutoffs = [as_of(day) for day in extract_dates]
        self._handles, self._writers = [], []
        self.lines = [{name: 1 for name in COLUMNS} for _ in extract_dates]  # 1 = header line
        for folder in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            handles = {name: (folder / name).open("w", encoding="utf-8", newline="") for name in COLUMNS}
            writers = {name: csv.writer(handle) for name, handle in handles.items()}
            for name, writer in writers.items():
                writer.writerow(COLUMNS[name])
            self._handles.append(handles)
            self._writers.append(writers)

    def write(self, file_name: str, row: dict) -> list[int | None]:
        """Write the row into every night it is visible in; its line number per night."""
        rule = VISIBILITY[file_name]
        columns = COLUMNS[file_name]
        cells = [_cell(row.get(column)) for column in columns]
        appears = row.get(rule.appears)
        lines = []
        for night, cutoff in enumerate(self.cutoffs):
            if isinstance(appears, dt.date) and appears > cutoff:
                lines.append(None)
                continue
            shown = cells
            for date_field, revealed in rule.later:
                known = row.get(date_field)
                if isinstance(known, dt.date) and known > cutoff:
                    shown = [("" if column in revealed else cell) for column, cell in zip(columns, shown)]
            lines.append(self._write(night, file_name, shown))
        return lines

    def write_raw(self, file_name: str, cells: list[str]) -> list[int]:
        return [self._write(night, file_name, cells) for night in range(len(self.cutoffs))]

    def _write(self, night: int, file_name: str, cells: list[str]) -> int:
        self._writers[night][file_name].writerow(cells)
        self.lines[night][file_name] += 1
        return self.lines[night][file_name]

    def close(self) -> dict[str, int]:
        """Close the files, then write each night's _SUCCESS marker; rows per file."""
        counts = {}
        for night, folder in enumerate(self.folders):
            for handle in self._handles[night].values():
                handle.close()
            (folder / contract.SYNERGY_SUCCESS_MARKER).write_bytes(b"")
            for name in COLUMNS:
                counts[f"{self.paths[night]}/{name}"] = self.lines[night][name] - 1
        return counts


def record_rows(record: PersonRecord):
    """(file name, row) pairs for a child, parents before children."""
    yield "person.csv", person_row(record)
    for file_name in ("request.csv", "assessment.csv", "named_plan.csv", "sen_need.csv",
                      "placement.csv", "annual_review.csv"):
        for row in record.rows.get(file_name, ()):
            yield file_name, row
