"""The Dagster code location: everything under orchestration/defs/, one folder per concern."""

from pathlib import Path

import dagster as dg

from orchestration.asset_catalog import with_catalog  # owners, tags, code references
from orchestration.settings import secure_data_folders


@dg.definitions
def defs() -> dg.Definitions:
    secure_data_folders()  # every Dagster process (UI, daemon, run workers) writes owner-only
    return with_catalog(dg.load_from_defs_folder(path_within_project=Path(__file__).parent))
