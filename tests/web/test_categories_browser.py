"""The categories page in headless Chromium: a manager reaches it from the menu, restricts
cameras to a course and sees it said back; it reads at a phone's width and at a desk's. With
CAGEKEEPER_SCREENS set, its screenshots are written there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from hub.store import Store
from tests.web.conftest import PASSWORD, Clock, serving
from tests.web.test_reading_browser import DESK, PHONE, PROBLEMS, browser  # noqa: F401

pytestmark = pytest.mark.browser


def _signed_in(browser: Browser, url: str, viewport: dict[str, int]) -> Page:  # noqa: F811
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    page.goto(url + "/login")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1").first).to_be_visible()
    return page


def _shoot(page: Page, name: str) -> None:
    if folder := os.environ.get("CAGEKEEPER_SCREENS"):
        page.screenshot(path=str(Path(folder) / f"dashboard-{name}.png"), full_page=True)


def test_a_manager_restricts_cameras_to_a_course_in_the_browser(
    browser: Browser,  # noqa: F811
    app: FastAPI,
    store: Store,
    clock: Clock,
) -> None:
    store.add_asset("MIC-0001", "Rode NTG mic", "audio")
    store.require_training("camera", "cinema-1")
    with serving(app) as url:
        for viewport, suffix in ((DESK, ""), (PHONE, "phone-")):
            page = _signed_in(browser, url, viewport)
            page.click("nav >> text=Categories")
            expect(page.locator("h1")).to_contain_text("Categories")
            assert page.evaluate(PROBLEMS) == []
            if not suffix:
                field = page.get_by_label("Access groups of camera, separated by ;")
                field.fill("FILM101; Photo club")
                field.press("Enter")
                expect(page.locator("#categories-done")).to_have_text(
                    "camera is only for FILM101, Photo club."
                )
                expect(field).to_have_value("FILM101; Photo club")
            _shoot(page, f"{suffix}categories")
            page.close()
    rules = {c.name: c.groups for c in store.category_rules()}
    assert rules == {"audio": (), "camera": ("FILM101", "Photo club")}
