"""Bronze ingestion: landed files -> ``bronze`` tables, with a file registry, row-level load
errors and a content-addressed archive (nothing that lands is ever lost).

Each ``ingest_X(con, landing_dir, archive_dir)`` is idempotent and returns an
:class:`IngestSummary`. See the module docstrings for each source's rules.

Replaying from the archive: every registry row names its archived copy, so a lost landing
area can be rebuilt with :func:`restore_landing` (copies each registered file version back
to its landing path) and the bronze tables rebuilt by ingesting into an empty database.
"""

from orchestration.ingest.dfe import ingest_dfe
from orchestration.ingest.gias import ingest_gias
from orchestration.ingest.postcodes import ingest_postcodes
from orchestration.ingest.replay import restore_landing
from orchestration.ingest.runner import IngestFailed, IngestSummary
from orchestration.ingest.schema import ensure_bronze_schema
from orchestration.ingest.school_returns import ingest_school_returns
from orchestration.ingest.srp_register import ingest_srp_register
from orchestration.ingest.synergy import ingest_synergy

__all__ = [
    "IngestFailed",
    "IngestSummary",
    "ensure_bronze_schema",
    "ingest_dfe",
    "ingest_gias",
    "ingest_postcodes",
    "ingest_school_returns",
    "ingest_sen2",
    "ingest_srp_register",
    "ingest_synergy",
    "restore_landing",
]


def __getattr__(name: str):
    """``ingest_sen2`` on first use: ingest/sen2.py imports orchestration.sen2.validate, which
    imports this package (ingest/validate.py), so importing it here would be circular."""
    if name == "ingest_sen2":
        from orchestration.ingest.sen2 import ingest_sen2

        return ingest_sen2
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

