"""Keyed pseudonyms (HMAC-SHA256) for people, and the rule for which key may be used.

Direct identifiers stop at bronze; silver keys every person by
``HMAC-SHA256(key, "<kind>:<identifier>")``. The key comes from ``SEND_PSEUDONYM_KEY`` and
is never logged. Sample data may use the documented development key below; real data
(a landing folder without the generator's ``SAMPLE_DATA.json``) refuses to run with it.

The same function is registered in DuckDB (as the dbt-duckdb plugin in this module), so
the dbt models call ``send_pseudonym(kind, value)`` through the ``pseudonym`` macro.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

KEY_ENV = "SEND_PSEUDONYM_KEY"
DEV_KEY = "send-data-platform-DEVELOPMENT-KEY-for-sample-data-only"
SAMPLE_MARKER = "SAMPLE_DATA.json"


class PseudonymKeyError(RuntimeError):
    """The pseudonymisation key is missing, or is the development key on real data."""


def is_sample_landing(landing_dir: Path) -> bool:
    return (Path(landing_dir) / SAMPLE_MARKER).is_file()


def resolve_key(landing_dir: Path) -> str:
    """The key to use for this landing folder, or a clear error."""
    key = os.environ.get(KEY_ENV, "")
    sample = is_sample_landing(landing_dir)
    if not key:
        if sample:
            return DEV_KEY
        raise PseudonymKeyError(
            f"{KEY_ENV} is not set and {landing_dir} holds real data (no {SAMPLE_MARKER}). "
            "Set it to a long random secret kept outside the repository."
        )
    if key == DEV_KEY and not sample:
        raise PseudonymKeyError(
            f"{KEY_ENV} is the published development key, but {landing_dir} holds real data "
            f"(no {SAMPLE_MARKER}). Set a secret key of your own."
        )
    if len(key) < 16:
        raise PseudonymKeyError(f"{KEY_ENV} is too short: use at least 16 characters.")
    return key


def pseudonym(key: str, kind: str, value: str | None) -> str | None:
    """Stable keyed pseudonym of ``value`` within namespace ``kind`` (e.g. person, upn)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if kind == "upn":
        text = text.upper()
    message = f"{kind}:{text}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


try:  # the dbt-duckdb plugin: only importable where dbt-duckdb is installed
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover
    BasePlugin = object  # type: ignore[assignment,misc]


def register_udf(conn, key: str) -> None:
    """Register ``send_pseudonym(kind, value)`` on a DuckDB connection."""
    import duckdb

    conn.create_function(
        "send_pseudonym",
        lambda kind, value: pseudonym(key, kind, value),
        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        null_handling="special",
        side_effects=False,
    )


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    """dbt-duckdb plugin: makes ``send_pseudonym`` available to every dbt model."""

    def initialize(self, plugin_config):
        self._key = None

    def configure_connection(self, conn):
        from orchestration.settings import Paths

        if self._key is None:
            self._key = resolve_key(Paths.from_env().landing)
        register_udf(conn, self._key)
