"""Who may do what on the dashboard, over HTTP: every route needs a role, viewers cannot act
and managers cannot administer, a wrong password gets no session, forms and session writes to
the API need their CSRF token, sign-in is rate-limited, signing out ends the session, and API
tokens serve integrations without ever carrying the admin role."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.security import RANK
from tests.web.conftest import PASSWORD, Clock, session_of
from tests.web.routes import api_routes, needed_role
from tests.web.served import sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PUBLIC = {"/login", "/healthz", "/feed/{token}.ics"}


def _login(client: TestClient, user: str = "manager", password: str = PASSWORD) -> int:
    return int(sign_in(client, user, password).status_code)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X", path)


def test_every_route_needs_a_role_and_refuses_anonymous_callers(app: FastAPI) -> None:
    routes = [(p, r) for p, r in api_routes(app) if p not in PUBLIC]
    assert len(routes) >= 30
    client = TestClient(app)
    for path, route in routes:
        assert needed_role(route.dependant) is not None, f"{path} declares no role"
        for method in route.methods or ():
            reply = client.request(method, _concrete(path), follow_redirects=False)
            if path.startswith("/api/"):
                assert reply.status_code == 401, (method, path)
            else:
                assert reply.status_code == 303, (method, path)
                assert reply.headers["location"] == "/login"


def test_viewers_cannot_act_and_managers_cannot_administer(app: FastAPI) -> None:
    checked = 0
    for user, rank in (("viewer", 0), ("manager", 1)):
        client, csrf = session_of(app, user)
        for path, route in api_routes(app):
            role = needed_role(route.dependant)
            if role is None or RANK[role] <= rank:
                continue
            for method in route.methods or ():
                data = {"csrf": csrf} if method == "POST" and not path.startswith("/api") else None
                reply = client.request(
                    method,
                    _concrete(path),
                    data=data,
                    headers={"X-CSRF-Token": csrf},
                    follow_redirects=False,
                )
                assert reply.status_code == 403, (user, method, path, reply.status_code)
                checked += 1
    assert checked >= 15


def test_wrong_password_gets_no_session(app: FastAPI) -> None:
    client = TestClient(app)
    assert _login(client, password="not the password") == 401
    assert client.get("/api/v1/items-out").status_code == 401


def test_post_without_csrf_token_is_refused(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    reply = client.post("/login", data={"username": "manager", "password": PASSWORD})
    assert reply.status_code == 403
    assert client.get("/api/v1/items-out").status_code == 401
    client, _csrf = session_of(app)
    assert client.post("/people/ada/block", data={"reason": "x"}).status_code == 403


def test_login_rate_limit(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(10):
        assert _login(client, password="wrong password!") == 401
    # even the right password waits out the window, answered like a wrong one
    assert _login(client) == 401


def test_logout_ends_the_session(app: FastAPI) -> None:
    client, csrf = session_of(app)
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/api/v1/items-out").status_code == 401


def test_api_tokens_for_integrations(app: FastAPI, store: Store, clock: Clock) -> None:
    admin, csrf = session_of(app, "admin")
    page = admin.post("/tokens", data={"name": "booking bridge", "role": "manager", "csrf": csrf})
    token = re.search(r'id="new-token">([^<]+)<', page.text)
    assert token
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    bot = TestClient(app)
    assert bot.get("/api/v1/items-out", headers=bearer).status_code == 200
    made = bot.post(
        "/api/v1/bookings",
        headers=bearer,
        json={
            "asset": "LENS-0001",
            "person": "ada",
            "starts": "2026-03-04T09:00:00Z",
            "ends": "2026-03-04T12:00:00Z",
        },
    )
    assert made.status_code == 201
    clash = bot.post(
        "/api/v1/bookings",
        headers=bearer,
        json={
            "asset": "LENS-0001",
            "person": "eve",
            "starts": "2026-03-04T10:00:00Z",
            "ends": "2026-03-04T11:00:00Z",
        },
    )
    assert clash.status_code == 409 and "booked by ada" in clash.json()["detail"]
    doc = bot.get("/api/v1/openapi.json", headers=bearer).json()
    assert "/api/v1/items-out" in doc["paths"] and "/api/v1/bookings" in doc["paths"]
    assert "token:booking bridge" in admin.get("/audit").text
    admin.post("/tokens/1/revoke", data={"csrf": csrf})
    assert bot.get("/api/v1/items-out", headers=bearer).status_code == 401
    assert bot.get("/api/v1/items-out", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_writes_to_the_api_need_the_csrf_header(app: FastAPI) -> None:
    client, csrf = session_of(app)
    body = {
        "asset": "LENS-0001",
        "person": "ada",
        "starts": "2026-03-04T09:00:00Z",
        "ends": "2026-03-04T12:00:00Z",
    }
    assert client.post("/api/v1/bookings", json=body).status_code == 403
    assert (
        client.post("/api/v1/bookings", json=body, headers={"X-CSRF-Token": csrf}).status_code
        == 201
    )


def test_tokens_cannot_carry_the_admin_role(app: FastAPI) -> None:
    admin, csrf = session_of(app, "admin")
    reply = admin.post("/tokens", data={"name": "x", "role": "admin", "csrf": csrf})
    assert reply.status_code == 400 and "ckt_" not in reply.text
