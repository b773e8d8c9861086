"""GIAS establishment register: ``gias/edubase_<YYYYMMDD>.csv`` (Windows-1252).

Every file is kept (``_file_date`` from the name); dbt reads the latest file date whose rows
are not superseded. GIAS columns beyond the contract's are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from orchestration import contract
from orchestration.ingest.csv_reader import Quarantine
from orchestration.ingest.runner import FileFacts, SnapshotCsvSource, ingest_snapshot_csv
from orchestration.ingest.validate import Context

# GIAS's own download is called edubasealldata<YYYYMMDD>.csv: accept that spelling too.
_NAME = re.compile(r"edubase_?(?:alldata)?(\d{8})\.csv", re.IGNORECASE)


def file_date(file_name: str) -> dt.date | None:
    match = _NAME.fullmatch(file_name)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def _facts(file_name: str, source_file: str) -> FileFacts:
    date = file_date(file_name)
    if date is None:
        raise Quarantine("bad_file_name", f"{source_file}: a GIAS file must be named"
                         " edubase_<YYYYMMDD>.csv with a real date; the file was not loaded")
    return FileFacts(Context(source_file, date, "file date"), {"_file_date": date})


GIAS_SOURCE = SnapshotCsvSource(
    source="gias", csv=contract.GIAS, folder=contract.LANDING_GIAS,
    facts=_facts,
)


def ingest_gias(con, landing_dir: Path, archive_dir: Path):
    return ingest_snapshot_csv(con, landing_dir, archive_dir, GIAS_SOURCE)
