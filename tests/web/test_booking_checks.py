"""The bookings form in the cage's time: its refusals quote that time, and the asset page says
no-show where nobody came."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.app import WebSettings, create_app
from tests.web.conftest import PASSWORD, Clock, checkout

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _manager(store: Store, clock: Clock) -> tuple[TestClient, str]:
    app = create_app(store, WebSettings(secret_key="k" * 40, display_tz="America/New_York"), clock)
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post(
        "/login", data={"username": "manager", "password": PASSWORD, "csrf": token.group(1)}
    )
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/bookings").text)
    assert token
    return client, token.group(1)


def test_the_form_s_refusals_quote_the_time_it_was_typed_in(store: Store, clock: Clock) -> None:
    client, csrf = _manager(store, clock)
    form = {"asset": "CAM-0001", "person": "ada", "csrf": csrf}
    made = client.post(
        "/bookings", data={**form, "starts": "2026-03-03T10:00", "ends": "2026-03-03T16:00"}
    )
    assert made.status_code == 200 and "Booking 1 made" in made.text
    clash = client.post(
        "/bookings",
        data={**form, "person": "eve", "starts": "2026-03-03T12:00", "ends": "2026-03-03T13:00"},
    )
    assert clash.status_code == 409
    # typed as 10:00 and 16:00 New York time, said back the same way (not 15:00 / 21:00 UTC)
    assert "from Tue 03 Mar 2026 10:00 EST to Tue 03 Mar 2026 16:00 EST" in clash.text
    assert "UTC" not in clash.text.split('id="booking-error"')[1].split("</p>")[0]


def test_an_item_on_loan_and_a_missing_training_are_refused_with_the_reasons(
    store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0002", person="eve", hours=48)  # due Wed 04 Mar 04:30 in NY
    store.require_training("camera", "cinema-1")
    client, csrf = _manager(store, clock)
    refused = client.post(
        "/bookings",
        data={
            "asset": "CAM-0002",
            "person": "ada",
            "starts": "2026-03-03T09:00",
            "ends": "2026-03-03T17:00",
            "csrf": csrf,
        },
    )
    assert refused.status_code == 409
    assert "on loan to eve until Wed 04 Mar 2026 04:30 EST" in refused.text
    assert "ada does not hold the cinema-1 training CAM-0002 needs" in refused.text
    assert 'value="2026-03-03T09:00"' in refused.text  # the form keeps what was typed
    # the API says the same, with the same 409
    api = client.post(
        "/api/v1/bookings",
        json={
            "asset": "CAM-0002",
            "person": "ada",
            "starts": "2026-03-03T14:00:00Z",
            "ends": "2026-03-03T22:00:00Z",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 409 and "on loan to eve" in api.json()["detail"]


def test_the_asset_page_says_no_show(store: Store, clock: Clock) -> None:
    now = clock()
    booked = store.add_booking("CAM-0001", "ada", now, now + timedelta(hours=4), now)
    cancelled = store.add_booking(
        "CAM-0001", "ada", now + timedelta(hours=5), now + timedelta(hours=6), now
    )
    store.cancel_booking(cancelled)
    later = now + timedelta(hours=1)
    assert store.release_no_shows(later - timedelta(minutes=30), later) == [booked]
    client, _csrf = _manager(store, clock)
    page = client.get("/a/CAM-0001").text
    states = re.findall(r'<td class="booking-state">([^<]*)</td>', page)
    assert sorted(states) == ["cancelled", "no-show"]
    listed = client.get("/bookings?format=csv").text
    assert "no-show" in listed and "cancelled" in listed
