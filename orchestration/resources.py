"""Resources shared by every asset: the warehouse, the folders, dbt."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from orchestration.dbt_cli import SendDbtCliResource
from orchestration.settings import DBT_PROJECT_DIR, Paths


class WarehouseResource(dg.ConfigurableResource):
    """The embedded DuckDB warehouse. Connections are opened per use and closed at once:
    DuckDB allows one writing process, and dbt (a subprocess) needs the file in between."""

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


class FoldersResource(dg.ConfigurableResource):
    """Landing, archive and output folders (see orchestration/settings.py)."""

    landing: str
    archive: str
    published: str
    report: str
    outbox: str

    def landing_dir(self) -> Path:
        return Path(self.landing)

    def archive_dir(self) -> Path:
        return Path(self.archive)


def build_resources(paths: Paths | None = None) -> dict:
    paths = paths or Paths.from_env()
    return {
        "warehouse": WarehouseResource(path=str(paths.warehouse)),
        "folders": FoldersResource(
            landing=str(paths.landing),
            archive=str(paths.archive),
            published=str(paths.published),
            report=str(paths.report),
            outbox=str(paths.outbox),
        ),
        "dbt": SendDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR)),
    }
