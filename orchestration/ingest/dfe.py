"""DfE published statistics: ``dfe/sen2_mi.csv`` (explore-education-statistics format).

Every column of the file is stored as text; a column a new release adds becomes a new
VARCHAR column. Suppression symbols (``z``, ``x``, ``c``) are ordinary values.
"""

from __future__ import annotations

from pathlib import Path

from orchestration import contract
from orchestration.ingest.csv_reader import Quarantine
from orchestration.ingest.runner import FileFacts, SnapshotCsvSource, ingest_snapshot_csv
from orchestration.ingest.validate import Context


def _facts(file_name: str, source_file: str) -> FileFacts:
    if file_name.lower() != contract.DFE_SEN2_MI_FILE:
        raise Quarantine("bad_file_name", f"{source_file}: the only DfE file the platform reads"
                         f" is dfe/{contract.DFE_SEN2_MI_FILE}; the file was not loaded")
    return FileFacts(Context(source_file), {})


DFE_SOURCE = SnapshotCsvSource(
    source="dfe", csv=contract.DFE_SEN2_MI, folder=contract.LANDING_DFE,
    facts=_facts, keep_extra_columns=True,
)


def ingest_dfe(con, landing_dir: Path, archive_dir: Path):
    return ingest_snapshot_csv(con, landing_dir, archive_dir, DFE_SOURCE)
