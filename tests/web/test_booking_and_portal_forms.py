"""The bookings page's forms, a borrower's own forms and signing out check the sender's role and
the form's CSRF token as every other form does: a forged post is refused before a field is
read (a missing or malformed field is not even noticed), and nothing is booked, cancelled,
renewed, reserved or signed out. The routes are found from the app, so a new form of these
kinds is checked without being listed here."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.auth import create_user
from tests.web.conftest import PASSWORD, Clock, session_of
from tests.web.routes import api_routes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KINDS = re.compile(r"^/bookings|^/me/|^/logout$")
# fields that would be refused as malformed (or are missing), were they read
MALFORMED = {"starts": "soon", "ends": "later", "target": "nothing:"}


def _forms(app: FastAPI) -> list[str]:
    return sorted(
        path
        for path, route in api_routes(app)
        if "POST" in (route.methods or ()) and KINDS.search(path)
    )


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_forms_are_found(app: FastAPI) -> None:
    found = set(_forms(app))
    assert {"/bookings", "/bookings/{booking_id}/cancel", "/me/renew", "/me/feed"} <= found
    assert {"/me/feed/stop", "/me/reserve", "/me/reserve/{booking_id}/cancel", "/logout"} <= found


def test_a_forged_booking_or_portal_form_is_refused_before_its_fields_are_read(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    soon = clock() + timedelta(days=1)
    store.add_booking("CAM-0001", "ada", soon, soon + timedelta(hours=2), clock())
    create_user(store, "ada.b", PASSWORD, "borrower", clock(), person="ada")
    manager, _ = session_of(app, "manager", "/bookings")
    borrower, _ = session_of(app, "ada.b", "/me/reserve")
    audited = len(store.audit_entries(limit=1000))
    for path in _forms(app):
        signed_in = manager if path.startswith("/bookings") else borrower
        client = TestClient(app, raise_server_exceptions=False, cookies=signed_in.cookies)
        for token in ({}, {"csrf": "forged"}):
            reply = client.post(_url(path), data={**MALFORMED, **token}, follow_redirects=False)
            assert reply.status_code == 403, (path, token, reply.status_code, reply.text[:200])
            assert "The form expired or was not sent by this site" in reply.text
    assert len(store.audit_entries(limit=1000)) == audited
    assert borrower.get("/me", follow_redirects=False).status_code == 200  # still signed in
    timeline = manager.get("/bookings", follow_redirects=False).text.split('id="timeline"')[1]
    assert "Ada Lovelace" in timeline  # the booking is still there


def test_a_staff_account_posting_a_borrower_s_form_is_told_it_is_not_a_person_s(
    app: FastAPI,
) -> None:
    manager, csrf = session_of(app, "manager", "/bookings")
    for path in _forms(app):
        if path.startswith("/me/"):
            reply = manager.post(_url(path), data={"csrf": csrf}, follow_redirects=False)
            assert reply.status_code == 403, (path, reply.status_code)
            assert "your account is not a person's" in reply.text, (path, reply.text[:200])
