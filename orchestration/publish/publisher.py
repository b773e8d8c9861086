"""Read-only publication of gold for BI tools, switched atomically.

Each publication is a new, immutable version beside the old ones::

    published/
      current -> versions/<version>          symlink, replaced atomically (rename)
      published.duckdb                        hard link to current's file, replaced atomically
      versions/<version>/published.duckdb    schemas gold, external, meta
      versions/<version>/parquet/<schema>/<table>.parquet
      versions/<version>/manifest.json       tables, row counts, source, run id
      versions/<version>/data_dictionary.csv and .md   every column: type, description, role
      data_dictionary.csv, data_dictionary.md hard links to current's, replaced atomically

Every table and column carries its dbt description (definitions.py): COMMENT ON in the DuckDB
file, field metadata in the Parquet files, and the data dictionary.

A reader that opens ``current/published.duckdb`` (or ``published.duckdb``) gets whichever
version the link named at that instant, whole: the writer never writes a file a reader can
reach. It builds ``versions/<version>.partial``, renames it into place when complete, and only
then replaces the links, so a failed run leaves ``current`` as it was. Old versions are
deleted beyond the newest ``keep``, unless a reader still holds one (DuckDB takes a shared
fcntl lock on a file it opens read-only; such a version is left for the next run).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import stat
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import duckdb
import pyarrow.parquet as pq

from orchestration.dbt_manifest import table_model_names
from orchestration.publish.definitions import (
    DICTIONARY_FILES,
    TableDefinition,
    described_arrow,
    model_definitions,
    published_definitions,
    write_comments,
    write_data_dictionary,
)
from orchestration.settings import DBT_PROJECT_DIR, FileModes

PUBLISHED_FILE = "published.duckdb"
CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
MANIFEST_FILE = "manifest.json"
PARTIAL_SUFFIX = ".partial"
LOCK_FILE = ".publish.lock"
DEFAULT_KEEP = 3
# dbt's manifest (built by `make install`): where the tables' descriptions come from
DEFAULT_DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"

GOLD = "gold"
EXTERNAL = "external"
META = "meta"
# Files any DuckDB >= 1.0 (and the ODBC/JDBC drivers built on it) can open.
STORAGE_VERSION = "v1.0.0"
# BI drivers (ODBC, Power BI, Metabase) mishandle 128-bit integers.
WIDE_INTEGER_TYPES = ("HUGEINT", "UHUGEINT")

# An external table: name in schema `external` -> builder(con, warehouse_catalog) returning a
# SELECT statement, or anything DuckDB can scan (relation, Arrow table, DataFrame).
ExternalBuilder = Callable[[duckdb.DuckDBPyConnection, str], Any]


class PublishError(RuntimeError):
    """The warehouse cannot be published as it is."""


@dataclass(frozen=True)
class PublishResult:
    version: str
    version_dir: Path
    database: Path
    row_counts: dict[str, int]  # "gold.srp_places" -> rows
    seconds: float
    pruned: list[str] = field(default_factory=list)
    kept_in_use: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The release (external tables)
# ---------------------------------------------------------------------------------------------
def released(table: str) -> ExternalBuilder:
    """Copy `external.<table>` as the disclosure engine wrote it into the warehouse (the
    audited release, orchestration/disclosure/release.py): the publisher decides nothing."""

    def build(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
        if not _columns(con, catalog, EXTERNAL, table):
            raise PublishError(f"{EXTERNAL}.{table} is missing from the warehouse: the disclosure "
                               "release has not been written, so nothing shareable can be published")
        return f'select * from {catalog}.{EXTERNAL}."{table}"'

    return build


def _release_builders(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, ExternalBuilder]:
    """Every table of the release in the warehouse; a warehouse with none cannot be published
    (gold would go out without its shareable copies)."""
    found = _table_names(con, catalog, EXTERNAL)
    if not found:
        raise PublishError(f"the warehouse has no {EXTERNAL} tables: the disclosure release has not "
                           "been written (asset disclosure/release), so nothing is published")
    return {table: released(table) for table in sorted(found)}


# ---------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------
def publish(
    warehouse_path: Path,
    published_dir: Path,
    *,
    external_tables: Mapping[str, ExternalBuilder] | None = None,
    run_id: str | None = None,
    keep: int = DEFAULT_KEEP,
    dbt_manifest: Path = DEFAULT_DBT_MANIFEST,
) -> PublishResult:
    """Publish the warehouse's gold schema as a new version and switch readers to it, every
    table and column described from ``dbt_manifest``."""
    started = time.perf_counter()
    warehouse_path, published_dir = Path(warehouse_path), Path(published_dir)
    if not warehouse_path.is_file():
        raise PublishError(f"no warehouse at {warehouse_path}")
    externals = external_tables  # None: the release in the warehouse's external schema
    versions = published_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    with _exclusive_publisher(published_dir):
        _remove_partials(versions)
        version = _new_version_id(run_id)
        partial = versions / f"{version}{PARTIAL_SUFFIX}"
        try:
            models = model_definitions(dbt_manifest)
            row_counts = _build_version(warehouse_path, partial, version, run_id, externals, models)
            partial.rename(versions / version)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        _switch(published_dir, version)
        pruned, in_use = _prune(published_dir, keep)
    return PublishResult(
        version=version,
        version_dir=versions / version,
        database=versions / version / PUBLISHED_FILE,
        row_counts=row_counts,
        seconds=round(time.perf_counter() - started, 3),
        pruned=pruned,
        kept_in_use=in_use,
    )


def gold_model_names(dbt_manifest_path: Path, schema: str = GOLD) -> list[str]:
    """Names of the dbt models built in ``schema``, from dbt's manifest.json."""
    return table_model_names(dbt_manifest_path, schema)


def current_version(published_dir: Path) -> str | None:
    """The version ``current`` points at, or None before the first publication."""
    link = Path(published_dir) / CURRENT_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def read_manifest(published_dir: Path, version: str) -> dict:
    path = Path(published_dir) / VERSIONS_DIR / version / MANIFEST_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def _new_version_id(run_id: str | None) -> str:
    """Sortable by time; the run id (or a random suffix) keeps two runs in a second apart."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{(run_id or uuid.uuid4().hex)[:8]}"


@contextmanager
def _exclusive_publisher(published_dir: Path) -> Iterator[None]:
    """One publisher at a time, so a `.partial` found while holding the lock is stale."""
    with open(published_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_partials(versions: Path) -> None:
    for path in versions.glob(f"*{PARTIAL_SUFFIX}"):
        shutil.rmtree(path, ignore_errors=True)


def _build_version(
    warehouse: Path,
    folder: Path,
    version: str,
    run_id: str | None,
    externals: Mapping[str, ExternalBuilder] | None,
    models: Mapping[str, TableDefinition],
) -> dict[str, int]:
    folder.mkdir(parents=True)
    database = folder / PUBLISHED_FILE
    created_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    source = _source_info(warehouse)
    con = duckdb.connect()
    try:
        con.execute(f"attach {_literal(database)} as pub (storage_version '{STORAGE_VERSION}')")
        con.execute(f"attach {_literal(warehouse)} as wh (read_only)")
        gold_tables = [name for name in _table_names(con, "wh", GOLD)]
        if not gold_tables:
            raise PublishError(f"{warehouse} has no {GOLD} tables to publish")
        for schema in (GOLD, EXTERNAL, META):
            con.execute(f"create schema pub.{schema}")
        for table in gold_tables:
            _create_table(con, GOLD, table, f'select * from wh.{GOLD}."{table}"')
        if externals is None:
            externals = _release_builders(con, "wh")
        for table, build in externals.items():
            _create_table(con, EXTERNAL, table, build(con, "wh"))
        con.execute("detach wh")
        _write_publication_row(con, version, run_id, created_at, source)
        tables = _describe_published(con)
        column_types = {name: info["columns"] for name, info in tables.items()}
        definitions = published_definitions(column_types, models)
        write_comments(con, "pub", definitions)
        _write_parquet(con, folder, tables, definitions)
        write_data_dictionary(folder, column_types, definitions)
        con.execute("detach pub")  # checkpoints: the file is complete and has no WAL
    finally:
        con.close()
    manifest = {
        "version": version,
        "run_id": run_id,
        "created_at": created_at,
        "source_warehouse": source,
        "duckdb_version": duckdb.__version__,
        "storage_version": STORAGE_VERSION,
        "database": PUBLISHED_FILE,
        "tables": tables,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _make_read_only(folder)
    return {name: info["rows"] for name, info in tables.items()}


def _create_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, source: Any) -> None:
    target = f'pub.{schema}."{table}"'
    if isinstance(source, str):
        con.execute(f"create table {target} as {source}")
    else:
        con.register("_external_source", source)
        try:
            con.execute(f"create table {target} as select * from _external_source")
        finally:
            con.unregister("_external_source")
    for column, data_type in _columns(con, "pub", schema, table):
        if data_type in WIDE_INTEGER_TYPES:
            con.execute(f'alter table {target} alter column "{column}" type bigint')


def _write_publication_row(con, version, run_id, created_at, source) -> None:
    con.execute(
        f"create table pub.{META}.publication as select ? as version, ? as run_id, "
        "cast(? as timestamptz) as published_at, cast(? as timestamptz) as source_modified_at",
        [version, run_id, created_at, source["modified_at"]],
    )


def _describe_published(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    tables = {}
    for schema in (GOLD, EXTERNAL, META):
        for table in _table_names(con, "pub", schema):
            tables[f"{schema}.{table}"] = {
                "rows": con.execute(f'select count(*) from pub.{schema}."{table}"').fetchall()[0][0],
                "columns": {name: data_type for name, data_type in _columns(con, "pub", schema, table)},
                "parquet": f"parquet/{schema}/{table}.parquet",
            }
    return tables


def _write_parquet(con: duckdb.DuckDBPyConnection, folder: Path, tables: dict[str, dict],
                   definitions: Mapping[str, TableDefinition]) -> None:
    """One Parquet file per table, written by pyarrow so each field carries its description
    (DuckDB's COPY writes file-level key-value metadata only). Gold tables are aggregates:
    each fits in memory at national scale."""
    for name, info in tables.items():
        path = folder / info["parquet"]
        path.parent.mkdir(parents=True, exist_ok=True)
        schema, table = name.split(".", 1)
        arrow = con.sql(f'select * from pub.{schema}."{table}"').to_arrow_table()
        pq.write_table(described_arrow(arrow, definitions[name]), path)


def _source_info(warehouse: Path) -> dict:
    """Size and modification time identify the warehouse state cheaply (hashing a national
    warehouse would cost seconds every night)."""
    info = warehouse.stat()
    modified = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc)
    return {
        "path": str(warehouse.resolve()),
        "size_bytes": info.st_size,
        "modified_at": modified.isoformat(timespec="microseconds"),
    }


def _make_read_only(folder: Path) -> None:
    """Read-only, so nobody opens a published file read-write by mistake (a second guard to
    read_only), with the readers SEND_PUBLISHED_MODE names (see orchestration.settings); the
    version's folders and the ones above it up to ``published/`` let those readers through."""
    modes = FileModes.from_env()
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(modes.published_file)
        elif path.is_dir() and not path.is_symlink():
            path.chmod(modes.published_dir)
    for path in (folder, folder.parent, folder.parent.parent):  # <version>, versions, published
        path.chmod(modes.published_dir)


# ---------------------------------------------------------------------------------------------
# The switch and the clean-up
# ---------------------------------------------------------------------------------------------
def _switch(published_dir: Path, version: str) -> None:
    """rename(2) replaces each link in one step: a reader resolves either the old or the new."""
    relative = Path(VERSIONS_DIR) / version
    _replace_atomically(published_dir / CURRENT_LINK, lambda tmp: os.symlink(relative, tmp))
    for name in (PUBLISHED_FILE, *DICTIONARY_FILES):
        target = published_dir / relative / name
        _replace_atomically(published_dir / name, lambda tmp: _link_file(target, tmp))


def _link_file(target: Path, link: Path) -> None:
    """A hard link is a plain file to every client (SMB shares, Windows tools); a symlink where
    the file system has no hard links."""
    try:
        os.link(target, link)
    except OSError:
        os.symlink(target.relative_to(link.parent), link)


def _replace_atomically(path: Path, make: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    make(tmp)
    os.replace(tmp, path)


def _prune(published_dir: Path, keep: int) -> tuple[list[str], list[str]]:
    """Delete versions older than the newest ``keep`` (never the current one) that no reader
    holds. Returns (deleted, kept because a reader holds them)."""
    versions = published_dir / VERSIONS_DIR
    names = sorted(p.name for p in versions.iterdir() if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX))
    current = current_version(published_dir)
    old = [name for name in names[: max(len(names) - max(keep, 1), 0)] if name != current]
    pruned, in_use = [], []
    for name in old:
        if _held_by_a_reader(versions / name / PUBLISHED_FILE):
            in_use.append(name)
        else:
            shutil.rmtree(versions / name, ignore_errors=True)
            pruned.append(name)
    return pruned, in_use


def _held_by_a_reader(database: Path) -> bool:
    """True when another process holds a DuckDB lock on the file: our exclusive fcntl lock
    attempt fails. (fcntl locks are per process, so a connection of this process itself
    would not be seen; the publisher never opens old versions.)"""
    if not database.exists():
        return False
    mode = database.stat().st_mode
    database.chmod(mode | stat.S_IWUSR)  # an exclusive lock needs a writable descriptor
    fd = os.open(database, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        database.chmod(mode)
        return True
    finally:
        os.close(fd)  # also releases our lock
    return False


# ---------------------------------------------------------------------------------------------
# Small DuckDB helpers
# ---------------------------------------------------------------------------------------------
def _table_names(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = ? order by table_name",
            [catalog, schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = ? and table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [catalog, schema, table],
        ).fetchall()
    ]


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
