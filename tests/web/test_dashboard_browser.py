"""The dashboard in real headless Chromium: log in, watch a checkout appear without a reload."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from hub.store import Store
from tests.web.conftest import PASSWORD, Clock, checkout

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: apt-get install chromium (scripts/setup.sh --test)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def test_login_and_live_update(
    browser: Browser, served: str, store: Store, clock: Clock, tmp_path: Path
) -> None:
    checkout(store, clock, "CAM-0001", seq=1)
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    page.goto(served + "/")
    expect(page).to_have_url(served + "/login")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#items-out tr[data-asset='CAM-0001']")).to_contain_text("Ada Lovelace")

    checkout(store, clock, "LENS-0001", seq=2)  # a checkout at a kiosk, while the page is open
    expect(page.locator("#items-out tr[data-asset='LENS-0001']")).to_be_visible(timeout=10_000)
    expect(page.locator("#out-count")).to_have_text("2")
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    # CAGEKEEPER_SCREENS=docs/screens refreshes the README's picture of the dashboard
    if folder := os.environ.get("CAGEKEEPER_SCREENS"):
        page.screenshot(path=str(Path(folder) / "dashboard-overview.png"), full_page=True)
    page.close()
