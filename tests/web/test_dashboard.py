"""The dashboard over HTTP: login, what every route refuses, and what a manager sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hub.store import Store
from tests.web.conftest import PASSWORD, Clock, checkout

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PUBLIC = {"/login", "/healthz"}


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _login(client: TestClient, password: str = PASSWORD) -> int:
    reply = client.post(
        "/login",
        data={"username": "manager", "password": password, "csrf": _csrf(client)},
        follow_redirects=False,
    )
    return int(reply.status_code)


def test_every_route_refuses_an_anonymous_request(app: FastAPI) -> None:
    client = TestClient(app)
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.path not in PUBLIC]
    assert len(routes) >= 4
    for route in routes:
        for method in route.methods or ():
            path = re.sub(r"\{[^}]+\}", "X", route.path)
            reply = client.request(method, path, follow_redirects=False)
            if path.startswith("/api/"):
                assert reply.status_code == 401, (method, path)
            else:
                assert reply.status_code in (303, 403), (method, path)
                if reply.status_code == 303:
                    assert reply.headers["location"] == "/login"


def test_wrong_password_gets_no_session(app: FastAPI) -> None:
    client = TestClient(app)
    assert _login(client, "not the password") == 401
    assert client.get("/api/v1/items-out").status_code == 401


def test_post_without_csrf_token_is_refused(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    reply = client.post("/login", data={"username": "manager", "password": PASSWORD})
    assert reply.status_code == 403
    assert client.get("/api/v1/items-out").status_code == 401


def test_login_rate_limit(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(10):
        assert _login(client, "wrong password!") == 401
    assert _login(client) == 429  # even the right password waits out the window


def test_overview_lists_loans_and_marks_overdue(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", hours=2, seq=1)
    checkout(store, clock, "LENS-0001", hours=30, seq=2)
    clock.now += timedelta(hours=5)
    client = TestClient(app)
    assert _login(client) == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "Canon C70" in page.text and "Ada Lovelace" in page.text
    assert "Overdue · 3 h late" in page.text
    items = client.get("/api/v1/items-out").json()
    assert [(i["asset"], i["overdue"]) for i in items] == [("CAM-0001", True), ("LENS-0001", False)]
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_names_are_escaped(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0002", person="eve")
    client = TestClient(app)
    _login(client)
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_logout_ends_the_session(app: FastAPI) -> None:
    client = TestClient(app)
    _login(client)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert token
    client.post("/logout", data={"csrf": token.group(1)})
    assert client.get("/api/v1/items-out").status_code == 401


def test_conflicts_and_quarantine_are_shown_to_managers(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", person="ada", seq=1)
    clock.now += timedelta(minutes=5)
    checkout(store, clock, "CAM-0001", person="eve", seq=2)  # lent again while out
    store.quarantine(
        "cagekeeper/v1/kiosks/cage-1/events", "cage-1", "not JSON: oops", b"x", clock()
    )
    client = TestClient(app)
    _login(client)
    page = client.get("/").text
    assert "Needs attention" in page
    assert "CAM-0001 lent to eve at cage-1 while held by ada" in page
    assert "1 message" in page and "not JSON: oops" in page


def test_a_labels_link_opens_the_asset_page(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", person="ada")
    client = TestClient(app)
    assert client.get("/a/cam-0001", follow_redirects=False).status_code == 303  # login first
    _login(client)
    page = client.get("/a/cam-0001")
    assert page.status_code == 200
    assert "Canon C70" in page.text and "held by <strong>Ada Lovelace</strong>" in page.text
    assert "checkout" in page.text
    assert client.get("/a/NOPE-1").status_code == 404
