"""Every dashboard page read in headless Chromium at a phone's width (390 px) and at a desk's:
nothing scrolls sideways, the overdue table keeps its due column, placeholders show whole and
the bookings timeline's day labels stay apart. With CAGEKEEPER_SCREENS set, the phone-size
screenshots for the README are written there, and the editing pages at a desk's size too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, ViewportSize, expect

from hub.store import Store
from tests.browsing import DESK, PHONE, layout_problems, screenshots, signed_in
from tests.events import commit, kiosk_event
from tests.web.conftest import PASSWORD, Clock, checkout, serving
from wire import DenialReason, EventType, KioskState, KioskStatus

pytestmark = pytest.mark.browser
# the editing pages, also shot at a desk's size for the README
EDITING = (
    ("/users", "users"),
    ("/locations", "locations"),
    ("/a/CAM-0001/edit", "asset-form"),
    ("/people/ada/edit", "person-form"),
)
PAGES = (
    ("/", "overview"),
    ("/out", "out"),
    ("/assets", "assets"),
    ("/a/CAM-0001", "asset"),
    ("/people", "people"),
    ("/people/ada", "person"),
    ("/bookings", "bookings"),
    ("/maintenance", "maintenance"),
    ("/stocktakes", "stocktakes"),
    ("/kiosks", "kiosks"),
    ("/reports", "reports"),
    ("/audit", "audit"),
    ("/labels", "labels"),
    ("/account", "account"),
    ("/tokens", "tokens"),
    *EDITING,
)

DAY_LABELS = """() => {
  const out = [];
  const spans = Array.from(document.querySelectorAll(".track.days span"));
  spans.forEach((s, n) => {
    if (s.scrollWidth > s.clientWidth) out.push(`day ${n} "${s.textContent}" cut off`);
    const next = spans[n + 1];
    if (next && s.getBoundingClientRect().right > next.getBoundingClientRect().left + 0.5)
      out.push(`day ${n} runs into day ${n + 1}`);
  });
  return spans.length === 14 ? out : [`${spans.length} day labels`];
}"""


@pytest.fixture
def busy(store: Store, clock: Clock) -> Store:
    """A cage with something on every page: a late loan, one due today, a refusal, bookings,
    a repair waiting, a kiosk online, audited actions."""
    checkout(store, clock, "CAM-0001", hours=2)
    clock.now += timedelta(hours=5)
    checkout(store, clock, "LENS-0001", person="eve", hours=3, seq=2)
    at = clock()
    reason = DenialReason.OVERDUE_ITEMS
    refused = kiosk_event(
        at, EventType.DENIED, seq=3, tiebreak=1, person="ada", asset="CAM-0002", reason=reason
    )
    commit(store, refused)
    status = KioskStatus(kiosk="cage-1", state=KioskState.ONLINE, at=at, version="0.1.0", outbox=0)
    store.record_status(status, status.model_dump_json(), at)
    for day, length in ((1, 2), (3, 4), (9, 3)):
        store.add_booking(
            "CAM-0002", "ada", at + timedelta(days=day), at + timedelta(days=day + length), at
        )
    store.report_problem("CAM-0002", "Loose battery door", at, "manager")
    store.block_person("eve", at + timedelta(days=3), "Late twice this month", at, "manager")
    return store


def _signed_in(browser: Browser, url: str, viewport: ViewportSize) -> Page:
    page = signed_in(browser, url, "admin", PASSWORD, viewport)
    expect(page.locator("#out-count")).to_have_text("2")
    return page


def test_every_page_reads_on_a_phone(browser: Browser, app: FastAPI, busy: Store) -> None:
    with serving(app) as url:
        page = _signed_in(browser, url, PHONE)
        assert layout_problems(page, url, PAGES, screenshots("dashboard-phone-")) == {}

        page.goto(url + "/")
        due = page.locator("#overdue tr[data-asset='CAM-0001'] td[data-label='Due']")
        expect(due).to_contain_text("Overdue · 3 h late")
        box = due.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        expect(page.locator("#feed li.denied")).to_contain_text("holds overdue items")
        page.goto(url + "/bookings")
        assert page.evaluate(DAY_LABELS) == []
        page.close()


def test_pages_read_at_a_desk_too(browser: Browser, app: FastAPI, busy: Store) -> None:
    with serving(app) as url:
        page = _signed_in(browser, url, DESK)
        assert layout_problems(page, url, PAGES, screenshots("dashboard-", only=EDITING)) == {}
        page.goto(url + "/bookings")
        assert page.evaluate(DAY_LABELS) == []
        expect(page.locator(".track.days span").first).to_have_attribute("title", "Monday 2 March")
        page.close()


def test_a_row_added_live_is_labelled_for_the_phone(
    browser: Browser, app: FastAPI, busy: Store, clock: Clock
) -> None:
    """The overview's tables are filled again as events arrive: the new rows read as cards too."""
    with serving(app) as url:
        page = _signed_in(browser, url, PHONE)
        checkout(busy, clock, "CAM-0002", hours=1, seq=4)  # due today, arriving live
        row = page.locator("#due-today tr[data-asset='CAM-0002']")
        expect(row).to_be_visible(timeout=10_000)
        expect(row.locator("td[data-label='Holder']")).to_contain_text("Ada Lovelace")
        expect(page.locator("#feed li").first).to_contain_text("Sony FX3")
        page.close()
