"""SRP register: ``srp_register/srp_register_<YYYY-YY>.csv``, one file per academic year.

``_academic_year`` comes from the file name; a row whose academic_year cell disagrees is a
row error. A new version of a year's file supersedes the old one's rows
(``_superseded_by_sha256``), so the current register for a year is the rows where it is NULL.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration import contract
from orchestration.ingest.csv_reader import Quarantine
from orchestration.ingest.runner import FileFacts, SnapshotCsvSource, ingest_snapshot_csv
from orchestration.ingest.validate import Context

_NAME = re.compile(r"srp_register_(\d{4}-\d{2})\.csv", re.IGNORECASE)


def _facts(file_name: str, source_file: str) -> FileFacts:
    match = _NAME.fullmatch(file_name)
    try:
        start = contract.academic_year_start(match.group(1)) if match else None
    except ValueError:
        start = None
    if start is None:
        raise Quarantine("bad_file_name", f"{source_file}: an SRP register must be named"
                         " srp_register_<YYYY-YY>.csv (e.g. srp_register_2024-25.csv);"
                         " the file was not loaded")
    label = contract.academic_year_label(start)
    return FileFacts(Context(source_file, academic_year=label), {"_academic_year": label})


SRP_REGISTER_SOURCE = SnapshotCsvSource(
    source="srp_register", csv=contract.SRP_REGISTER, folder=contract.LANDING_SRP_REGISTER,
    facts=_facts,
)


def ingest_srp_register(con, landing_dir: Path, archive_dir: Path):
    return ingest_snapshot_csv(con, landing_dir, archive_dir, SRP_REGISTER_SOURCE)
