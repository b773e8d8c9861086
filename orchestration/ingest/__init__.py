"""Bronze ingestion: landed files -> ``bronze`` tables, with a file registry, row-level load
errors and a content-addressed archive (nothing that lands is ever lost).

Each ``ingest_X(con, landing_dir, archive_dir)`` is idempotent and returns an
:class:`IngestSummary`. See the module docstrings for each source's rules.

Replaying from the archive: every registry row names its archived copy, so a lost landing
area can be rebuilt with :func:`restore_landing` (copies each registered file version back
to its landing path) and the bronze tables rebuilt by ingesting into an empty database.
"""

import importlib

# Each name is imported from its module on first use: the package's modules need pandas,
# pyarrow and openpyxl, and importing one light submodule (the bronze table names, read by the
# landing sensor and the asset definitions on every code load) must not load them all. It also
# breaks the cycle ingest/sen2.py -> orchestration.sen2.validate -> ingest/validate.py.
_HOMES = {
    "IngestFailed": "runner",
    "IngestSummary": "runner",
    "ensure_bronze_schema": "schema",
    "ingest_dfe": "dfe",
    "ingest_gias": "gias",
    "ingest_postcodes": "postcodes",
    "ingest_school_returns": "school_returns",
    "ingest_sen2": "sen2",
    "ingest_srp_register": "srp_register",
    "ingest_synergy": "synergy",
    "restore_landing": "replay",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
