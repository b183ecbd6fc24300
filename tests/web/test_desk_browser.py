"""Desk mode in real headless Chromium, driven the way the counter's devices drive it: a USB
badge reader and a USB QR scanner are keyboards, typing into the focused field and pressing
Enter. A checkout (with an override for a blocked borrower) and a check-in over the counter,
each ending on its receipt; then the ledger says what a kiosk's would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from hub.desk.source import DESK_ID
from hub.store import Store
from tests.browsing import fill_login, shoot
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import served
from tests.web.test_desk import desk_events, held

pytestmark = pytest.mark.browser


def _device_types(page: Page, text: str) -> None:
    """What a keyboard-wedge reader or scanner does: keys into whatever has the focus, then
    Enter. Nothing is clicked first, so the page must have put the focus in the right field."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _ready(page: Page) -> None:
    """The page is loaded and has put the focus where the devices type (a person taps a badge
    a moment after the page is up; a test types at once)."""
    expect(page.locator("body[data-desk=ready]")).to_have_count(1)


def _scan(page: Page, text: str, code: str) -> None:
    """One label under the scanner, and the manager sees its line before the next one (keys
    typed while the page reloads would be lost)."""
    _device_types(page, text)
    expect(page.locator(f"tr[data-code='{code}']")).to_be_visible()


def _sign_in(page: Page, url: str) -> None:
    fill_login(page, url, "manager", PASSWORD)
    expect(page).to_have_url(url + "/")


def test_desk_checkout_by_badge_and_scanner_with_an_override_then_the_receipt(
    browser: Browser,
    app: FastAPI,
    store: Store,
    clock: Clock,
) -> None:
    store.block_person("ada", None, "two late returns", clock(), "admin")
    with served(app) as url:
        page = browser.new_page()
        _sign_in(page, url)
        page.click("nav a[href='/desk']")
        expect(page.locator("h1")).to_have_text("Desk")
        _ready(page)
        _device_types(page, "04A1B2C3")  # the badge tap
        expect(page.locator("#desk-person")).to_contain_text("Ada Lovelace")
        expect(page.locator("#desk-blocked")).to_contain_text("two late returns")
        _scan(page, "CK1:CAM-0001", "CAM-0001")  # a label under the scanner
        _scan(page, "CK1:LENS-0001", "LENS-0001")
        cart = page.locator("#desk-cart")
        expect(cart.locator("tr.refused")).to_have_count(2)
        expect(cart).to_contain_text("No new loans until staff lift the block")

        first = page.locator("tr[data-code='CAM-0001']")
        first.locator("input[name=reason]").fill("final project, agreed with the tutor")
        first.locator("button", has_text="Lend anyway").click()
        expect(page.locator("tr[data-code='CAM-0001']")).to_contain_text("override")
        page.locator("tr[data-code='LENS-0001'] button", has_text="Remove").click()
        expect(page.locator("tr[data-code='LENS-0001']")).to_have_count(0)
        shoot(page, "dashboard-desk")
        page.click("#desk-confirm button")

        expect(page.locator("#receipt-borrower")).to_contain_text("Ada Lovelace")
        expect(page.locator("#receipt-lent")).to_contain_text("CAM-0001")
        expect(page.locator("#receipt-lent")).to_contain_text("Tue 03 Mar 09:30")  # 24 h loan
        expect(page.locator("#print")).to_be_visible()
        shoot(page, "dashboard-desk-receipt")
        page.emulate_media(media="print")  # the printed receipt has no menu bar or buttons
        expect(page.locator("header.bar")).to_be_hidden()
        expect(page.locator("#print")).to_be_hidden()
        page.close()

    assert held(store) == {"CAM-0001": "ada"}
    events = desk_events(store)
    assert [(e.type.value, e.asset, e.reason) for e in events] == [
        ("denied", "CAM-0001", "blocked"),
        ("denied", "LENS-0001", "blocked"),
        ("checkout", "CAM-0001", None),
    ]
    assert events[-1].badge == "04A1B2C3"
    assert [e.action for e in store.audit_entries()][:2] == ["desk.visit", "desk.override"]


def test_desk_check_in_over_the_counter_with_a_damaged_item_at_phone_width(
    browser: Browser,
    app: FastAPI,
    store: Store,
    clock: Clock,
) -> None:
    clock.now -= timedelta(hours=3)
    checkout(store, clock, "CAM-0001", person="ada", hours=1, seq=1)
    checkout(store, clock, "CAM-0002", person="eve", hours=8, seq=2)
    clock.now += timedelta(hours=3)
    with served(app) as url:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        _sign_in(page, url)
        page.goto(url + "/desk")
        page.click("#desk-scanned")  # no one at the counter: straight to the items
        _scan(page, "CAM-0001", "CAM-0001")  # a code typed
        _scan(page, f"{url}/a/CAM-0002", "CAM-0002")  # a label holding the hub's link
        cart = page.locator("#desk-cart")
        expect(cart.locator("tr.return")).to_have_count(2)
        expect(page.locator("tr[data-code='CAM-0001']")).to_contain_text("from Ada Lovelace")
        expect(page.locator("tr[data-code='CAM-0002']")).to_contain_text("from")
        page.select_option("tr[data-code='CAM-0001'] select", "CAM-0001:damaged")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the desk scrolls sideways on a phone ({wide} px)"
        page.click("#desk-confirm button")
        back = page.locator("#receipt-back")
        expect(back).to_contain_text("CAM-0001")
        expect(back.locator("tr", has_text="CAM-0001")).to_contain_text("damaged")
        expect(back.locator("tr", has_text="CAM-0002")).to_contain_text("ok")
        page.close()

    assert held(store) == {}
    returns = [e for e in desk_events(store) if e.type.value == "return"]
    assert [(e.asset, e.person, e.condition) for e in returns] == [
        ("CAM-0001", "ada", "damaged"),
        ("CAM-0002", "eve", "ok"),
    ]
    asset = store.asset("CAM-0001")
    assert asset is not None and asset.status == "maintenance"
    assert {e.kiosk for e in returns} == {DESK_ID}


def test_a_fast_scanner_loses_no_label_while_the_page_reloads(
    browser: Browser,
    app: FastAPI,
    store: Store,
) -> None:
    store.add_asset("LENS-0002", "Zeiss 85mm", "camera")
    with served(app) as url:
        page = browser.new_page()
        _sign_in(page, url)
        page.goto(url + "/desk")
        _ready(page)
        _device_types(page, "04A1B2C3")
        expect(page.locator("#desk-person")).to_contain_text("Ada Lovelace")
        _ready(page)
        for label in ("CK1:CAM-0001", "CK1:CAM-0002", "CK1:LENS-0001", "CK1:LENS-0002"):
            _device_types(page, label)  # back to back, as fast as the scanner types
        cart = page.locator("#desk-cart tr.line")
        expect(cart).to_have_count(4)
        assert page.url.count("code=") == 4  # a reload shows the same cart
        page.reload()
        expect(cart).to_have_count(4)
        _ready(page)
        _device_types(page, "WIFI:S:home;P:secret;;")  # not a label: said, and nothing lost
        expect(page.locator("#desk-message")).to_contain_text("Not an equipment label")
        expect(cart).to_have_count(4)
        store.add_asset("LENS-0003", "Zeiss 35mm", "camera")
        _device_types(page, "not a label")  # a bad scan amid good ones: those still count
        _device_types(page, "CK1:LENS-0003")
        expect(cart).to_have_count(5)
        _scan(page, "CK1:CAM-0001", "CAM-0001")  # the field still works after the refusal
        page.click("#desk-confirm button")
        expect(page.locator("#receipt-lent tbody tr")).to_have_count(5)
        page.close()
    codes = ["CAM-0001", "CAM-0002", "LENS-0001", "LENS-0002", "LENS-0003"]
    assert held(store) == dict.fromkeys(codes, "ada")
