"""The dashboard in real headless Chromium: log in, watch a kiosk's checkout arrive live, act on
an overdue loan; with CAGEKEEPER_SCREENS set, the README's screenshots are written there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from hub.alerts.dispatch import Alerter
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.browsing import DESK, shoot
from tests.harness import Cage
from tests.kiosk_visits import lend
from tests.web.conftest import serving
from wire import KioskState, KioskStatus

pytestmark = pytest.mark.browser
PASSWORD = "a long browser password"


@pytest.fixture
def dashboard(cage: Cage) -> Iterator[str]:
    """The dashboard over the cage's hub store, on a free loopback port."""
    create_user(cage.store, "manager", PASSWORD, "manager", cage.clock.now())
    # the scenario moves the clock 80 hours on with the page open: sessions outlast that
    week = timedelta(days=7)
    settings = WebSettings(secret_key="k" * 40, session_idle=week, session_lifetime=week)
    app = create_app(cage.store, settings, cage.clock.now)
    with serving(app) as url:
        yield url


def test_a_kiosk_checkout_appears_live_and_a_manager_acts_on_it_when_overdue(
    browser: Browser, dashboard: str, cage: Cage
) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    page = browser.new_page(viewport=DESK)
    page.goto(dashboard + "/")
    expect(page).to_have_url(dashboard + "/login")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#out-count")).to_have_text("0")

    lend(kiosk, "04A1B2C3", "CK1:LENS-0001")  # a student at the kiosk, page left open
    expect(page.locator("#feed li").first).to_contain_text("checkout", timeout=10_000)
    expect(page.locator("#feed li").first).to_contain_text("Ada Lovelace")
    expect(page.locator("#out-count")).to_have_text("1")
    lend(kiosk, "04112233445566", "CK1:CAM-0002")
    expect(page.locator("#out-count")).to_have_text("2", timeout=10_000)
    expect(page.locator("#feed li")).to_have_count(2)  # each event once
    shoot(page, "dashboard-live")

    cage.clock.advance(timedelta(hours=80).total_seconds())  # the lens is now overdue
    Alerter(cage.store, cage.clock.now).run_once()  # the hub's sweeper, one pass
    live_alert = page.locator("#feed li.alert.overdue", has_text="LENS-0001")
    expect(live_alert).to_contain_text("held by Ada Lovelace", timeout=10_000)
    page.reload()
    expect(page.locator("#feed li")).to_have_count(2)
    row = page.locator("#overdue tr[data-asset='LENS-0001']")
    expect(row).to_contain_text("Overdue · 8 h late")
    shoot(page, "dashboard-overview")
    row.get_by_role("link", name="Ada Lovelace").click()
    expect(page.locator("h1")).to_contain_text("Ada Lovelace")
    page.fill("#block input[name=reason]", "Overdue lens: come and see us")
    page.fill("#block input[name=days]", "3")
    page.click("#block button")
    expect(page.locator("#blocked")).to_contain_text("Blocked until")
    shoot(page, "dashboard-person")

    def blocked(replica: object) -> bool:
        person = kiosk.replica.person_by_badge("04A1B2C3")
        return person is not None and person.blocked_until is not None

    assert cage.hub is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=blocked)  # the kiosk now refuses her new checkouts

    if os.environ.get("CAGEKEEPER_SCREENS"):
        _more_screens(page, dashboard, cage)
    page.close()


def _more_screens(page: Page, base: str, cage: Cage) -> None:
    """The other main pages, with a little more in them, for the README."""
    now = cage.clock.now()
    cage.store.record_status(
        KioskStatus(kiosk="cage-1", state=KioskState.ONLINE, at=now, version="0.1.0", outbox=0),
        KioskStatus(
            kiosk="cage-1", state=KioskState.ONLINE, at=now, version="0.1.0", outbox=0
        ).model_dump_json(),
        now,
    )
    cage.store.add_booking(
        "CAM-0001", "grace", now + timedelta(days=1), now + timedelta(days=3), now
    )
    cage.store.report_problem("CAM-0001", "Sensor dust", now, "manager")
    for path, name in (
        ("/a/LENS-0001", "asset"),
        ("/bookings", "bookings"),
        ("/maintenance", "maintenance"),
        ("/reports", "reports"),
        ("/kiosks", "kiosks"),
        ("/assets", "assets"),
    ):
        page.goto(base + path)
        shoot(page, f"dashboard-{name}")
