"""The portal's world for its tests: Ada (borrower account "ada.l") and Eve, a kit, and what
each holds; the portal app in a cage's time zone; and reading back a loan's due time, the audit
log and the portal's message after a renewal."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.store import Store
from hub.store.schema import audit_log, holdings
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of, csrf_of
from wire import ReplicaPolicy

TZ = "America/New_York"  # the cage's zone: 09:30 UTC is 04:30 there


def lent_to_ada_and_eve(store: Store, clock: Clock) -> Store:
    """Ada (a borrower account, "ada.l") and Eve; a kit; Ada holds a camera and the kit."""
    store.set_loan_hours("camera", 48)
    store.add_asset("KIT-0001", "FX3 kit", "camera")
    store.add_asset("BATT-0001", "NP-FZ100 battery", "battery")
    store.set_kit_pieces("KIT-0001", ["BATT-0001"], clock(), "test")
    store.set_loan_hours("battery", 24)
    create_user(store, "ada.l", PASSWORD, "borrower", clock(), person="ada")
    create_user(store, "eve.b", PASSWORD, "borrower", clock(), person="eve")
    checkout(store, clock, "CAM-0001", hours=5, seq=1)
    checkout(store, clock, "KIT-0001", hours=5, seq=2)
    checkout(store, clock, "BATT-0001", hours=5, seq=3)
    checkout(store, clock, "LENS-0001", person="eve", hours=5, seq=4)
    return store


def portal_app(store: Store, clock: Clock) -> FastAPI:
    rules = ReplicaPolicy(max_renewals=1)
    return create_app(store, WebSettings(secret_key="k" * 40, display_tz=TZ, lending=rules), clock)


def signed_in(app: FastAPI, user: str) -> TestClient:
    return client_of(app, user, PASSWORD)


def due_of(store: Store, asset: str) -> tuple[datetime, int]:
    """A loan's due time and how often it was renewed."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(holdings.c.due, holdings.c.renewals).where(holdings.c.asset == asset)
        ).one()
    return row.due, row.renewals


def audited(store: Store, action: str) -> list[tuple[str, str | None, str | None]]:
    """(actor, target, detail) of each ``action`` in the audit log, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.id)
        ).all()
    return [tuple(r) for r in rows]


def renew(client: TestClient, code: str) -> str:
    """The Renew button for ``code`` on /me; the message the page then shows."""
    page = client.get("/me")
    reply = client.post(
        "/me/renew", data={"code": code, "csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/me"
    message = re.search(r'id="me-message">([^<]*)<', client.get("/me").text)
    assert message, "no message after renewing"
    return message.group(1)
