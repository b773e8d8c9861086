"""The dbt docs site (`make docs`, issue 15 item 3) in a real headless Chromium (Debian's
/usr/bin/chromium, as tests/test_report_browser.py): built by the command `make docs` runs,
against the warehouse of a real small-sample refresh, it is one file that opens from a file://
URL with the browser offline, loads nothing from the network, lists gold.srp_places and shows
its columns' descriptions, the text dbt's manifest holds. A screenshot goes to
test-artifacts/docs-site.png."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from orchestration.dbt_project import DBT_PROJECT
from orchestration.docs_site import docs_site_path, model_docs_url
from orchestration.settings import Paths
from tests.browser import ARTIFACTS, browser, playwright_sync_api  # noqa: F401 (browser: a fixture)

REPO_ROOT = Path(__file__).resolve().parent.parent
SRP_PLACES = "model.send_data_platform.srp_places"
# dbt-docs asks for a few image URLs before Angular fills in their templates (`src` where
# `ng-src` was meant: the sidebar icons, the favicon): harmless local misses, named here so
# nothing else may fail
UNFILLED_TEMPLATE_URL = re.compile(r"\{\{.*\}\}|\$\{require\(")
TEMPLATE_MISS_ERRORS = ("getIcon(item.type", "Failed to load resource: net::ERR_FILE_NOT_FOUND")

playwright_sync_api()  # fails in CI, skips elsewhere, where no browser is installed


@pytest.fixture(scope="module")
def paths(small_refreshed, tmp_path_factory) -> Paths:
    """Its own data root for the site; the warehouse is the shared refresh's (read only)."""
    root = tmp_path_factory.mktemp("docs_site")
    env = {"SEND_DATA_ROOT": str(root), "SEND_WAREHOUSE_PATH": str(small_refreshed / "warehouse.duckdb")}
    with pytest.MonkeyPatch.context() as mp:
        for var, value in env.items():
            mp.setenv(var, value)
        return Paths.from_env()


@pytest.fixture(scope="module")
def site(paths) -> Path:
    """Built by the command `make docs` runs, as its own process."""
    env = {**os.environ, "SEND_DATA_ROOT": str(paths.data_root), "SEND_WAREHOUSE_PATH": str(paths.warehouse)}
    warehouse_before = paths.warehouse.stat()
    result = subprocess.run([sys.executable, "-m", "orchestration.docs_site"], cwd=REPO_ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warehouse_after = paths.warehouse.stat()  # read for a moment, never written
    assert (warehouse_after.st_mtime_ns, warehouse_after.st_size) == (
        warehouse_before.st_mtime_ns, warehouse_before.st_size)
    assert f"dbt docs site (static, opens offline): {docs_site_path(paths)}" in result.stdout
    return docs_site_path(paths)


@pytest.fixture(scope="module")
def srp_places_node() -> dict:
    return json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))["nodes"][SRP_PLACES]


def test_the_site_is_one_file_under_the_data_root(site, paths):
    assert site == paths.data_root / "docs" / "index.html"
    assert sorted(p.name for p in site.parent.iterdir()) == ["index.html"]
    assert model_docs_url(SRP_PLACES, paths) == f"{site.as_uri()}#!/model/{SRP_PLACES}"


def test_the_site_opens_offline_lists_gold_srp_places_and_shows_column_descriptions(
        site, paths, browser, srp_places_node):
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(unquote(r.url)))

    page.goto(model_docs_url(SRP_PLACES, paths))
    page.locator("h1", has_text="srp_places").first.wait_for()
    assert "warehouse.gold.srp_places" in page.locator("body").inner_text()  # from the catalog

    # a column's description, the manifest's text, shown when its row is opened
    row = page.locator("tr.column-row", has_text="occupancy_pct").first
    assert "DOUBLE" in row.inner_text()  # its type as built in the warehouse
    row.click()
    details = row.locator("xpath=following-sibling::tr[1]")
    assert details.is_visible()
    description = srp_places_node["columns"]["occupancy_pct"]["description"].strip()
    assert description in details.inner_text()

    # the database tree lists the table in its schema
    page.locator("text=Database").first.click()
    tree = page.locator(".menu[ng-show=\"nav_selected == 'database'\"]")
    assert tree.is_visible()
    for name in ("warehouse", "gold", "srp_places"):
        assert tree.get_by_text(name, exact=True).is_visible(), name
    listed = tree.inner_text().split()
    assert listed.index("warehouse") < listed.index("gold") < listed.index("srp_places")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-site.png"), full_page=True)
    assert [url for url in failed if not UNFILLED_TEMPLATE_URL.search(url)] == []
    assert [p for p in problems if not any(miss in p for miss in TEMPLATE_MISS_ERRORS)] == []
    assert requests and [url for url in requests if not url.startswith(("file://", "data:"))] == []
    context.close()


def test_a_warehouse_held_by_a_refresh_gets_one_line_not_a_traceback(tmp_path):
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "SEND_DATA_ROOT": str(tmp_path), "SEND_WAREHOUSE_PATH": str(warehouse)}
    with duckdb.connect(str(warehouse)):  # the writer (a refresh) holds the file
        result = subprocess.run([sys.executable, "-m", "orchestration.docs_site"], cwd=REPO_ROOT,
                                env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == (f"make docs: cannot read {warehouse} now (IOException): is a refresh "
                             "running? Run `make docs` when it has finished\n")
    assert not (tmp_path / "docs").exists()
