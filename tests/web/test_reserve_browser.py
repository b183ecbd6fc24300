"""A borrower reserves, is refused with the reasons, and cancels, in headless Chromium at a
phone's width (390 px) and at a desk's; the page never scrolls sideways. With
CAGEKEEPER_SCREENS set, the screenshots for the README are written there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.browsing import DESK, PHONE, PROBLEMS, shoot, signed_in
from tests.web.conftest import PASSWORD, Clock, serving
from wire import OpeningSpec, ReplicaPolicy

pytestmark = pytest.mark.browser
WEEKDAYS = {d: ("09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")}


def _reserve(page: Page, target: str, starts: str, ends: str) -> None:
    page.select_option("select[name=target]", label=target)
    page.fill("input[name=starts]", starts)
    page.fill("input[name=ends]", ends)
    page.click("#new-reservation button[type=submit]")


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_a_borrower_reserves_is_refused_with_reasons_and_cancels(
    browser: Browser, store: Store, clock: Clock, size: str
) -> None:
    create_user(store, "ada.b", PASSWORD, "borrower", clock(), person="ada")
    store.add_asset("KIT-1", "Interview kit", "kit")
    store.add_asset("KIT-1-MIC", "Lavalier mic", "sound", kit="KIT-1")
    lending = ReplicaPolicy(opening=OpeningSpec(tz="Europe/London", weekly=WEEKDAYS))
    settings = WebSettings(secret_key="k" * 40, display_tz="Europe/London", lending=lending)
    app = create_app(store, settings, clock)
    with serving(app) as url:
        viewport = PHONE if size == "phone" else DESK
        page = signed_in(browser, url, "ada.b", PASSWORD, viewport, lands="/me")
        page.goto(url + "/me/reserve")
        expect(page.locator("h1")).to_have_text("Reserve")

        _reserve(page, "KIT-1 · Interview kit (kit)", "2026-03-03T10:00", "2026-03-04T16:00")
        expect(page.locator("#reserve-done")).to_contain_text(
            "Reserved KIT-1 from Tue 03 Mar 10:00 to Wed 04 Mar 16:00"
        )
        expect(page.locator("#my-reservations tbody tr")).to_have_count(1)

        _reserve(page, "Any camera", "2026-03-07T10:00", "2026-03-07T12:00")
        expect(page.locator("#reserve-error")).to_have_text(
            "Not reserved: the cage is closed at Sat 07 Mar 2026 10:00 GMT: start while it is "
            "open; the cage is closed at Sat 07 Mar 2026 12:00 GMT: end while it is open"
        )
        assert page.evaluate(PROBLEMS) == []
        shoot(page, f"reserve-{size}")

        page.click("#my-reservations button[type=submit]")
        expect(page.locator("#reserve-done")).to_contain_text("cancelled")
        expect(page.locator("#my-reservations tbody tr.empty")).to_have_count(1)
    assert store.reservations_of("ada", clock()) == []
