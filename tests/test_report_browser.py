"""Both editions of the report in a real headless Chromium (Debian's /usr/bin/chromium): each
opens offline from a file:// URL without console errors, shows its sections and charts, its
district links work; the internal edition carries its OFFICIAL-SENSITIVE banner on screen and
its marking on every printed page, the public one neither. Full-page screenshots go to
test-artifacts/report.png (public) and report-internal.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_render import GENERATED_AT, write_report_warehouse

from orchestration.report import build_report
from tests.browser import ARTIFACTS, browser, playwright_sync_api  # noqa: F401 (browser: a fixture)


playwright_sync_api()  # fails in CI, skips elsewhere, where no browser is installed


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser_report")
    warehouse = write_report_warehouse(root / "warehouse.duckdb")
    return {
        audience: build_report(warehouse, root / audience, audience=audience,
                               generated_at=GENERATED_AT)
        for audience in ("public", "internal")
    }


@pytest.fixture(scope="module")
def report(editions) -> Path:
    return editions["public"]


def test_report_opens_offline_and_navigates(report, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(report.as_uri())
    assert page.title() == "Kent county overview | SRP annual strategic report 2024/25"
    assert page.locator(".marking, .marking-print").count() == 0
    # a figure the release hides: Beta Primary's 3 pupils on roll
    returns = page.locator("#returns tr", has_text="Beta Primary School").inner_text().split("\t")
    assert returns[:5] == ["Beta Primary School", "Ashford", "Not received", "c", "x"]
    for section in ("summary", "places", "returns", "methods", "data-quality"):
        assert page.locator(f"section#{section}").is_visible(), section
    assert page.locator("section#places svg.chart").count() >= 3
    assert page.locator(".tile").count() == 5
    assert page.locator("section#places svg.chart").first.bounding_box()["height"] > 60

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

    page.locator("#places table a", has_text="Ashford").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/district-ashford.html")
    assert page.locator("h1").inner_text() == "Annual strategic report 2024/25"
    assert page.locator(".subtitle").inner_text() == "Ashford district pack"
    assert page.locator("section#places svg.chart").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "report-district.png"), full_page=True)

    assert problems == []
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


def test_the_internal_edition_is_marked_on_screen_and_on_every_printed_page(editions, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(editions["internal"].as_uri())
    assert page.title() == (
        "OFFICIAL-SENSITIVE: Kent county overview | SRP annual strategic report 2024/25")
    banner = page.locator(".marking")
    assert banner.is_visible()
    assert banner.bounding_box()["y"] < 5  # the first thing on the page
    assert "must not be shared outside the council" in banner.inner_text()
    assert "the public report is the one to share" in banner.inner_text()
    assert not page.locator(".marking-print").is_visible()
    # unsuppressed: Beta Primary's 3 pupils on roll (c in the public edition)
    returns = page.locator("#returns tr", has_text="Beta Primary School").inner_text().split("\t")
    assert returns[:4] == ["Beta Primary School", "Ashford", "Not received", "3"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-internal.png"), full_page=True)

    page.emulate_media(media="print")
    footer = page.locator(".marking-print")
    assert footer.is_visible()
    assert footer.evaluate("e => getComputedStyle(e).position") == "fixed"  # on every page
    assert footer.inner_text() == "OFFICIAL-SENSITIVE: not to be shared outside the council"
    page.pdf(path=str(ARTIFACTS / "report-internal.pdf"))
    assert problems == []
    page.close()
