"""The categories page in headless Chromium: a manager reaches it from the menu, restricts
cameras to a course and sees it said back; it reads at a phone's width and at a desk's. With
CAGEKEEPER_SCREENS set, its screenshots are written there."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from hub.store import Store
from tests.browsing import DESK, PHONE, PROBLEMS, shoot, signed_in
from tests.web.conftest import PASSWORD, Clock, serving

pytestmark = pytest.mark.browser


def test_a_manager_restricts_cameras_to_a_course_in_the_browser(
    browser: Browser,
    app: FastAPI,
    store: Store,
    clock: Clock,
) -> None:
    store.add_asset("MIC-0001", "Rode NTG mic", "audio")
    store.require_training("camera", "cinema-1")
    with serving(app) as url:
        for viewport, suffix in ((DESK, ""), (PHONE, "phone-")):
            page = signed_in(browser, url, "manager", PASSWORD, viewport)
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
            shoot(page, f"dashboard-{suffix}categories")
            page.close()
    rules = {c.name: c.groups for c in store.category_rules()}
    assert rules == {"audio": (), "camera": ("FILM101", "Photo club")}
