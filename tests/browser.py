"""The real browser the report and docs tests use: Debian's Chromium driven by Playwright.

``sync_api`` is Playwright's sync API. In CI (which installs both) a missing browser or
Playwright fails the importing test module; elsewhere the module is skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # screenshots, PDFs
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def playwright_sync_api():
    """Playwright's sync API, or skip the calling module where the browser is not installed."""
    if os.environ.get("CI"):  # CI installs both: a missing one must fail, not skip
        from playwright import sync_api
        return sync_api
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); CI "
                    "installs it and runs this test", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module (import this fixture into the test module)."""
    with playwright_sync_api().sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
