"""Browser tests: Playwright (sync API) driving Debian's chromium against live_server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread for as long as the browser
    # lives; without the flag Django refuses the test's own ORM calls (fixtures, asserts,
    # the database flush after each test) as made "from an async context".
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory) -> Path:
    """docs/screenshots when KEFU_SCREENSHOTS=1 (to refresh the pictures the docs show),
    else a temporary folder, so an ordinary test run leaves the work tree clean."""
    if os.environ.get("KEFU_SCREENSHOTS", "") in ("1", "true", "yes"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
