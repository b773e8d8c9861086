"""The dbt docs site, static and offline: `make docs` writes one self-contained HTML file,
``<data root>/docs/index.html`` (``python -m orchestration.docs_site``).

``dbt docs generate --static`` embeds the manifest (models, columns, descriptions, lineage,
compiled SQL) and the catalog (each relation's columns and types as built) in dbt-docs' page,
so it opens from a file:// URL with nothing loaded from the network. dbt-docs loads a
tracking script from a CDN when the manifest says ``send_anonymous_usage_stats``; the site is
generated with tracking off, so it loads nothing (tests/test_docs_site.py checks it in
Chromium with the browser offline).

The catalog comes from the real warehouse, read for a moment only: its relations are copied
without rows (same schemas, tables, columns and types) into a scratch file named like the
warehouse, and dbt reads that. So `make docs` never holds the warehouse while dbt parses and
compiles (a nightly refresh starting meanwhile is not blocked), needs no pseudonym key, and
writes nothing the platform reads (dbt's own target folder is a scratch folder too).

``docs_site_path()`` and ``model_docs_url()`` give the links the README and Dagster's gold
assets point at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR, Paths

DOCS_FOLDER = "docs"
INDEX = "index.html"
STATIC_INDEX = "static_index.html"  # what `dbt docs generate --static` writes in its target
PROFILE = "send_data_platform"  # dbt_project.yml's profile
PROJECT = "send_data_platform"  # dbt_project.yml's name: node ids read model.<project>.<name>
SOURCE_ALIAS = "send_warehouse_source"
OUTPUT_TAIL_CHARS = 3000


class DocsSiteError(RuntimeError):
    """The docs site could not be built; the message says why."""


def docs_site_path(paths: Paths | None = None) -> Path:
    """Where `make docs` writes the site: ``<data root>/docs/index.html``."""
    return (paths or Paths.from_env()).data_root / DOCS_FOLDER / INDEX


def model_docs_url(unique_id: str, paths: Paths | None = None) -> str:
    """The docs site's page of one dbt node, e.g. ``model.send_data_platform.srp_places``."""
    return f"{docs_site_path(paths).as_uri()}#!/model/{unique_id}"


def build_docs_site(paths: Paths | None = None) -> Path:
    """Generate the static docs site against the warehouse; returns its index.html."""
    paths = paths or Paths.from_env()
    if not paths.warehouse.is_file():
        raise DocsSiteError(f"no warehouse at {paths.warehouse}: run `make run` first (the docs "
                            "site shows the tables as built)")
    site = docs_site_path(paths)
    with tempfile.TemporaryDirectory(prefix="send-docs-") as scratch:
        work = Path(scratch)
        snapshot = snapshot_relations(paths.warehouse, work / paths.warehouse.name)
        _write_profile(work, snapshot)
        _run_dbt_docs_generate(work)
        site.parent.mkdir(parents=True, exist_ok=True)
        partial = site.with_name(f".{INDEX}.partial")
        shutil.copyfile(work / "target" / STATIC_INDEX, partial)
        os.replace(partial, site)  # a reader sees the old site or the new one
    return site


def snapshot_relations(warehouse: Path, snapshot: Path) -> Path:
    """Every table and view of ``warehouse`` as an empty table of the same schema, name,
    columns and types in a new file ``snapshot`` (what dbt's catalog reads)."""
    con = duckdb.connect(str(snapshot))
    try:
        try:
            con.execute(f"attach '{_escaped(warehouse)}' as {SOURCE_ALIAS} (read_only)")
        except duckdb.IOException as error:  # a refresh holds the warehouse
            raise DocsSiteError(f"cannot read {warehouse} now ({type(error).__name__}): is a "
                                "refresh running? Run `make docs` when it has finished") from None
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = ? order by all", [SOURCE_ALIAS]
        ).fetchall()
        for schema in sorted({schema for schema, _ in relations}):
            con.execute(f'create schema if not exists "{schema}"')
        for schema, table in relations:
            con.execute(f'create table "{schema}"."{table}" as '
                        f'select * from {SOURCE_ALIAS}."{schema}"."{table}" limit 0')
        con.execute(f"detach {SOURCE_ALIAS}")
    finally:
        con.close()
    return snapshot


def _write_profile(folder: Path, database: Path) -> None:
    """A profile of our own (JSON is YAML) for the scratch copy: no pseudonym plugin, as
    generating docs runs no model."""
    profile = {PROFILE: {"target": "docs", "outputs": {
        "docs": {"type": "duckdb", "path": str(database), "threads": 1}}}}
    (folder / "profiles.yml").write_text(json.dumps(profile, indent=2), encoding="utf-8")


def _run_dbt_docs_generate(work: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "PATH": f"{dbt.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # off: dbt-docs would load a tracking script from a CDN
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        str(dbt), "docs", "generate", "--static",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(work),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]
    result = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0 or not (work / "target" / STATIC_INDEX).is_file():
        output = (result.stdout + result.stderr)[-OUTPUT_TAIL_CHARS:]
        raise DocsSiteError(f"dbt docs generate failed (exit {result.returncode}):\n{output}")


def _escaped(path: Path) -> str:
    return str(path).replace("'", "''")


def main() -> int:
    paths = Paths.from_env()
    try:
        site = build_docs_site(paths)
    except DocsSiteError as error:
        print(f"make docs: {error}", file=sys.stderr)
        return 1
    print(f"dbt docs site (static, opens offline): {site}")
    print(f"  e.g. gold.srp_places: {model_docs_url(f'model.{PROJECT}.srp_places', paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
