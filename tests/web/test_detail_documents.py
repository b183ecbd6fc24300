"""An asset's and a person's documents in the API: the fields integrations read, named and
ordered as they always were, nested records too, with times, money and own fields written
as text; and a person's page says how many items each strike was for."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import sheet_import
from hub.sheets import ASSETS
from hub.store import Store
from tests.events import KioskFeed
from tests.web.conftest import Clock
from wire import ReturnCondition

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ASSET = [
    "code", "name", "category", "status", "model", "manufacturer", "kit", "serial", "home",
    "location", "value", "photo_url", "notes", "acquired", "cost", "supplier",
    "disposed_reason", "last_seen", "located_at", "last_service", "checkouts_since_service",
]  # fmt: skip
EVENT = ["at", "type", "person", "person_name", "kiosk", "kiosk_name", "condition", "reason"]
TICKET = [
    "id", "asset", "opened_at", "kind", "person", "event_id", "loan_event_id", "detail",
    "closed_at", "outcome", "cost", "note", "person_name",
]  # fmt: skip
BOOKING = [
    "id", "person", "name", "starts", "ends", "cancelled", "picked_up", "released_at", "state"
]  # fmt: skip
PIECE = ["code", "name", "holder", "holder_name", "due"]
PERSON = [
    "id", "name", "email", "active", "staff", "groups", "provider_groups", "blocked_until",
    "blocked_reason", "has_pin",
]  # fmt: skip


@pytest.fixture
def lived(store: Store, clock: Clock) -> Store:
    """A kit with a piece out with eve, a camera Ada brought back late and damaged, a lens
    Ada holds and a booking of hers."""
    t0 = clock()
    store.add_asset(
        "KIT-0001",
        "C70 kit",
        "camera",
        home="Film cage",
        value=Decimal("1200.50"),
        acquired=date(2025, 9, 1),
        cost=Decimal("1500"),
    )
    store.add_asset("BATT-0001", "Battery", "camera", kit="KIT-0001")
    own = "code,name,category,field:Mount\r\nCAM-0001,Canon C70,camera,RF\r\n"
    sheet_import.run(store, ASSETS, own, t0, "manager")
    feed = KioskFeed(store)
    feed.checkout("CAM-0001", "ada", t0, hours=1)
    feed.give_back("CAM-0001", "ada", t0 + timedelta(hours=3), ReturnCondition.DAMAGED, "cracked")
    feed.checkout("BATT-0001", "eve", t0 + timedelta(hours=4))
    feed.checkout("LENS-0001", "ada", t0 + timedelta(hours=4), hours=2)
    clock.now = t0 + timedelta(hours=5)
    store.add_booking("CAM-0002", "ada", t0 + timedelta(days=2), t0 + timedelta(days=3), clock())
    return store


def _reader(app: FastAPI, store: Store, role: str) -> TestClient:
    token = store.add_token(role, role, "admin", Clock()())
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _json(client: TestClient, path: str) -> Any:
    reply = client.get(path)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_asset_document_keeps_its_fields_and_their_order(app: FastAPI, lived: Store) -> None:
    client = _reader(app, lived, "viewer")

    camera = _json(client, "/api/v1/assets/CAM-0001")
    assert list(camera) == [
        "asset", "fields", "holder", "timeline", "bookings", "pieces", "pieces_out",
        "kit_name", "tickets",
    ]  # fmt: skip
    assert list(camera["asset"]) == ASSET and camera["asset"]["status"] == "maintenance"
    assert camera["fields"] == {"Mount": "RF"} and camera["holder"] is None
    returned = next(t for t in camera["timeline"] if t["type"] == "return")
    assert list(returned) == [*EVENT, "detail"]
    assert (returned["person_name"], returned["kiosk_name"]) == ("Ada Lovelace", "Film cage")
    assert (returned["condition"], returned["detail"]) == ("damaged", "cracked")
    assert returned["at"] == "2026-03-02T12:30:00+00:00"
    [ticket] = camera["tickets"]
    assert list(ticket) == TICKET and (ticket["kind"], ticket["person_name"]) == (
        "damaged",
        "Ada Lovelace",
    )

    kit = _json(client, "/api/v1/assets/KIT-0001")
    assert kit["asset"]["value"] == "1200.50" and kit["asset"]["cost"] == "1500.00"
    assert kit["asset"]["acquired"] == "2025-09-01"
    assert [list(p) for p in kit["pieces"]] == [PIECE]
    assert [(p["code"], p["holder"]) for p in kit["pieces_out"]] == [("BATT-0001", "eve")]

    piece = _json(client, "/api/v1/assets/BATT-0001")
    assert (piece["kit_name"], piece["asset"]["kit"]) == ("C70 kit", "KIT-0001")
    assert list(piece["holder"]) == ["person", "name", "due", "since"]
    assert piece["holder"]["person"] == "eve"

    booked = _json(client, "/api/v1/assets/CAM-0002")
    assert [list(b) for b in booked["bookings"]] == [BOOKING]
    assert (booked["bookings"][0]["name"], booked["bookings"][0]["state"]) == (
        "Ada Lovelace",
        "booked",
    )


def test_a_person_document_keeps_its_fields_for_viewers_and_managers(
    app: FastAPI, lived: Store
) -> None:
    seen = {
        role: _json(_reader(app, lived, role), "/api/v1/people/ada")
        for role in ("viewer", "manager")
    }
    for role, ada in seen.items():
        assert list(ada) == [
            "person", "badges", "loans", "history", "late", "strikes", "strike_list",
            "late_items", "strikes_per", "tickets",
        ], role  # fmt: skip
        assert list(ada["person"]) == PERSON and ada["person"]["has_pin"] is False
        assert [list(b) for b in ada["badges"]] == [["uid", "revoked", "added_at", "revoked_at"]]
        assert ada["loans"] == [
            {
                "asset": "LENS-0001",
                "name": "Zeiss 50mm",
                "since": "2026-03-02T13:30:00+00:00",
                "due": "2026-03-02T15:30:00+00:00",
            }
        ]
        assert {tuple(h) for h in ada["history"]} == {
            ("at", "type", "asset", "asset_name", "kiosk", "kiosk_name", "reason", "detail")
        }
        assert [list(x) for x in ada["late"]] == [
            ["asset", "asset_name", "due", "returned", "minutes_late"]
        ]
        assert ada["late"][0]["minutes_late"] == 120
        assert (ada["strikes"], ada["late_items"], ada["strikes_per"]) == (1, 1, "visit")
        assert ada["strike_list"] == [{"at": "2026-03-02T12:30:00+00:00", "items": 1}]
        assert [list(t) for t in ada["tickets"]] == [["id", "asset", "kind", "opened_at"]]
    assert seen["viewer"]["badges"][0]["uid"] == "****B2C3"
    assert seen["manager"]["badges"][0]["uid"] == "04A1B2C3"


def test_a_persons_page_says_how_many_items_each_strike_was_for(app: FastAPI, lived: Store) -> None:
    page = _reader(app, lived, "viewer").get("/people/ada").text
    strikes = page.split('id="strikes"')[1].split("</p>")[0]
    assert "Mon 02 Mar 12:30: 1 item<" in strikes.replace("</span>", "<")
    assert "method" not in strikes
