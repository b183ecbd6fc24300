"""The borrower portal in headless Chromium at a phone's width (390 px) and at a desk's: a
student signs in, lands on their loans, renews the camera with a thumb-sized button, browses
what they may borrow and makes their calendar address; nothing scrolls sideways. With
CAGEKEEPER_SCREENS set, the README's portal screenshots are written there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.browsing import DESK, PHONE, layout_problems, screenshots, signed_in
from tests.events import commit, kiosk_event
from tests.web.conftest import PASSWORD, Clock, checkout, serving
from wire import EventType, ReplicaPolicy

pytestmark = pytest.mark.browser
PAGES = (("/me", "me"), ("/me/browse", "browse"))


def _give_back(store: Store, clock: Clock, asset: str, seq: int) -> None:
    commit(store, kiosk_event(clock(), EventType.RETURN, seq=seq, person="ada", asset=asset))


@pytest.fixture
def portal(store: Store, clock: Clock) -> FastAPI:
    """Ada's week: a lens brought back late last week (a strike), a camera and a kit out now,
    a booking on Thursday; Eve holds the lens; the drone needs a training Ada lacks."""
    store.set_loan_hours("camera", 48)
    store.set_loan_hours("battery", 24)
    store.add_asset("KIT-0001", "FX3 kit", "camera")
    store.add_asset("BATT-0001", "NP-FZ100 battery", "battery")
    store.add_asset("MIC-0001", "Rode NTG5", "audio")
    store.add_asset("DRONE-1", "Mavic 3", "drone")
    store.require_training("drone", "drone-license")
    store.set_kit_pieces("KIT-0001", ["BATT-0001"], clock(), "test")
    create_user(store, "ada.l", PASSWORD, "borrower", clock(), person="ada")
    week = timedelta(days=7)
    clock.now -= week
    checkout(store, clock, "LENS-0001", hours=2, seq=1)
    clock.now += timedelta(hours=5)
    _give_back(store, clock, "LENS-0001", 2)
    clock.now += week - timedelta(hours=5)
    checkout(store, clock, "CAM-0001", hours=30, seq=3)
    checkout(store, clock, "KIT-0001", hours=6, seq=4)
    checkout(store, clock, "BATT-0001", hours=6, seq=5)
    checkout(store, clock, "LENS-0001", person="eve", hours=50, seq=6)
    store.add_booking(
        "CAM-0002", "ada", clock() + timedelta(days=3), clock() + timedelta(days=4), clock()
    )
    store.add_booking(
        "MIC-0001", "eve", clock() + timedelta(days=1), clock() + timedelta(days=2), clock()
    )
    settings = WebSettings(
        secret_key="k" * 40, display_tz="Europe/London", lending=ReplicaPolicy(max_renewals=1)
    )
    return create_app(store, settings, clock)


def test_a_student_renews_from_a_phone(browser: Browser, portal: FastAPI) -> None:
    with serving(portal) as url:
        page = signed_in(browser, url, "ada.l", PASSWORD, PHONE, lands="/me")
        expect(page.locator("#holding-count")).to_have_text("2")
        kit = page.locator("#loan-KIT-0001")
        expect(kit).to_contain_text("NP-FZ100 battery")
        expect(page.locator("#strikes")).to_contain_text("1 strike")
        assert layout_problems(page, url, PAGES, screenshots("portal-phone-")) == {}

        page.goto(url + "/me")
        camera = page.locator("#loan-CAM-0001")
        button = camera.get_by_role("button", name="Renew")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
        expect(camera).to_contain_text("Due Tue 03 Mar 15:30")
        button.click()
        expect(page.locator("#me-message")).to_have_text(
            "Renewed: Canon C70, now due Thu 05 Mar 15:30."
        )
        expect(camera).to_contain_text("Due Thu 05 Mar 15:30")
        expect(camera).to_contain_text("it was extended already")
        expect(camera.get_by_role("button", name="Renew")).to_have_count(0)

        page.goto(url + "/me/browse")
        expect(page.locator("#item-LENS-0001 .now")).to_have_text("Out until Wed 04 Mar 11:30")
        expect(page.locator("#closed")).to_contain_text("Needs the drone-license training")
        expect(page.locator("#item-MIC-0001 .day.booked")).to_have_count(2)
        expect(page.locator("nav a.here")).to_have_text("Browse")

        page.goto(url + "/me")
        page.click("#feed-new")
        address = page.locator("#feed-url").input_value()
        assert address.startswith(url + "/feed/ckf_") and address.endswith(".ics")
        page.close()


def test_the_portal_reads_at_a_desk_too(browser: Browser, portal: FastAPI) -> None:
    with serving(portal) as url:
        page = signed_in(browser, url, "ada.l", PASSWORD, DESK, lands="/me")
        assert layout_problems(page, url, PAGES, screenshots("portal-")) == {}
        # cards side by side at a desk's width
        cards = page.locator("#cat-camera .card")
        first, second = cards.nth(0), cards.nth(1)
        a, b = first.bounding_box(), second.bounding_box()
        assert a is not None and b is not None and abs(a["y"] - b["y"]) < 1
        page.close()
