"""DfE's published EHC plan statistics (``dfe/sen2_mi.csv``) are the comparators beside the
council's own timeliness figures (gold.ehcp_timeliness ``dfe_*`` columns and the report's
council / region / England benchmarks: the configured LA code and region). When the file has not landed those columns are NULL;
one warning check says so, naming the file, where it goes and where to get it, instead of the
comparators going silently blank."""

from __future__ import annotations

import duckdb

from orchestration import contract

TABLE = "bronze.dfe_sen2_mi"
LANDING_PATH = f"{contract.LANDING_DFE}/{contract.DFE_SEN2_MI_FILE}"
WHERE_TO_GET = (
    "Download it from the Department for Education's 'Education, health and care plans' "
    "statistics on explore-education-statistics.service.gov.uk (the release's underlying "
    f"data: {contract.DFE_SEN2_MI_FILE}, SEN2 management information by local authority, "
    "region and England)"
)
MISSING = (
    f"{LANDING_PATH} has not landed: the DfE comparators (the dfe_* columns of "
    "gold.ehcp_timeliness and the report's council, region and England benchmarks) are "
    f"empty. {WHERE_TO_GET} and put it in the landing folder as {LANDING_PATH}."
)
LANDED = f"{LANDING_PATH} is loaded: the DfE comparators are filled from it."


def current_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of the current version of the DfE file in bronze (0 when it never landed)."""
    return con.execute(f"select count(*) from {TABLE} where _superseded_by_sha256 is null").fetchone()[0]


def check_outcome(rows: int) -> tuple[bool, str, dict[str, int | str]]:
    """(passed, description, metadata) of the warning check. Metadata keeps to a count and a
    file label, so an alert can carry it."""
    if rows:
        return True, LANDED, {"dfe_statistics_rows": rows}
    return False, MISSING, {"dfe_statistics_rows": 0, "missing": contract.DFE_SEN2_MI_FILE,
                            "landing_folder": contract.LANDING_DFE}
