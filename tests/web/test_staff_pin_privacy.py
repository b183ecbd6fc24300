"""A staff member's PIN hash stays off the dashboard and out of the JSON API: they say only
whether a PIN is set."""

from __future__ import annotations

from fastapi import FastAPI

from hub.store import Store
from tests.events import commit, kiosk_event
from tests.web.conftest import Clock, session_of
from wire import DenialReason, EventType
from wire.pins import hash_pin


def test_the_api_and_the_person_page_never_show_a_pin_hash(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    store.add_person("sam", "Sam Staff", ["0A0B0C0D"], staff=True)
    secret = hash_pin("2468", log2_n=4)
    store.set_pin("sam", secret, clock(), "test")
    viewer, _ = session_of(app, "viewer")
    reply = viewer.get("/api/v1/people/sam")
    assert reply.status_code == 200
    person = reply.json()["person"]
    assert person["has_pin"] is True and "pin_hash" not in person
    assert viewer.get("/api/v1/people/ada").json()["person"]["has_pin"] is False
    salt_and_key = secret.split("$", 3)[3]
    for path in ("/api/v1/people/sam", "/people/sam", "/people", "/people?format=csv"):
        page = viewer.get(path)
        assert page.status_code == 200, path
        assert "$scrypt$" not in page.text and salt_and_key not in page.text, path


def test_a_pin_lockout_shows_on_the_staff_members_page(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    store.add_person("sam", "Sam Staff", ["0A0B0C0D"], staff=True)
    lockout = kiosk_event(
        clock(),
        EventType.DENIED,
        badge="0A0B0C0D",
        person="sam",
        reason=DenialReason.PIN_LOCKOUT,
        detail="5 wrong PINs in a row: locked out here for 5 min",
    )
    commit(store, lockout)
    manager, _ = session_of(app, "manager")
    assert 'denied: <span class="why">locked out after wrong door PINs: 5 wrong PINs' in (
        manager.get("/people/sam").text
    )
    history = manager.get("/api/v1/people/sam").json()["history"]
    assert [(h["type"], h["reason"]) for h in history] == [("denied", "pin_lockout")]
