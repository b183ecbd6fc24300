"""Every integer a client can send (query, path, form) is bounded: out-of-range values are a 422
in the API's validation shape, never a 500 from a number SQLite, PostgreSQL or a date cannot
hold. The routes are found from the app, so a new one is checked without being listed here."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.auth import Role, create_user
from hub.web.paging import MAX_ID
from tests.web.conftest import PASSWORD, Clock, session_of
from tests.web.routes import api_routes, needed_role

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HOSTILE = ("9223372036854775808", "-1", "1" + "0" * 40, "-9223372036854775809")
PATH_VALUES = {"person_id": "ada", "code": "CAM-0001"}


def _is_int(annotation: object) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_int(a) for a in typing.get_args(annotation))
    return False


def _params(dependant: Dependant) -> Iterator[tuple[str, str]]:
    """(where, name) of every integer parameter, dependencies' too."""
    for where, fields in (
        ("query", dependant.query_params),
        ("path", dependant.path_params),
        ("form", dependant.body_params),
    ):
        for field in fields:
            if _is_int(field.field_info.annotation):
                yield where, field.alias
    for sub in dependant.dependencies:
        yield from _params(sub)


def integer_parameters(app: FastAPI) -> list[tuple[str, str, APIRoute, str, str]]:
    found = []
    for path, route in api_routes(app):
        for where, name in _params(route.dependant):
            for method in sorted(route.methods or ()):
                found.append((method, path, route, where, name))
    return found


def _url(path: str, name: str | None = None, value: str = "") -> str:
    def fill(m: re.Match[str]) -> str:
        return value if m[1] == name else PATH_VALUES.get(m[1], "1")

    return re.sub(r"\{([^}]+)\}", fill, path)


def test_the_parameters_are_found(app: FastAPI) -> None:
    found = {(m, p, w, n) for m, p, _, w, n in integer_parameters(app)}
    assert ("GET", "/api/v1/items-out", "query", "offset") in found
    assert ("DELETE", "/api/v1/bookings/{booking_id}", "path", "booking_id") in found
    assert ("POST", "/people/{person_id}/block", "form", "days") in found
    assert ("POST", "/tokens/{token_id}/revoke", "path", "token_id") in found
    assert len(found) >= 14


def test_out_of_range_integers_are_422_on_every_route(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    admin, admin_csrf = session_of(app, "admin")
    create_user(store, "ada.b", PASSWORD, "borrower", clock(), person="ada")
    own, own_csrf = session_of(app, "ada.b", "/me/reserve")  # a borrower's own routes
    for method, path, route, where, name in integer_parameters(app):
        mine = needed_role(route.dependant) is Role.BORROWER
        csrf = own_csrf if mine else admin_csrf
        cookies = (own if mine else admin).cookies
        client = TestClient(app, raise_server_exceptions=False, cookies=cookies)
        for value in HOSTILE:
            url = _url(path, name if where == "path" else None, value)
            if where == "query":
                reply = client.request(method, url, params={name: value})
            elif where == "form":
                reply = client.request(method, url, data={name: value, "csrf": csrf})
            else:
                reply = client.request(method, url, data={"csrf": csrf})
            where_ = f"{method} {url} {where} {name}={value[:12]}"
            assert reply.status_code == 422, (where_, reply.status_code, reply.text[:200])
            problems = reply.json()["detail"]
            assert any(p["loc"] == [where if where != "form" else "body", name] for p in problems)
            assert all({"loc", "msg", "type"} <= p.keys() for p in problems), where_


def test_the_largest_ids_allowed_are_answered_not_crashed(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    """At the bound itself an id is simply not there: 404, in the documented shape."""
    token = store.add_token("sync", "manager", "admin", clock())
    client = TestClient(app, raise_server_exceptions=False)
    reply = client.delete(
        f"/api/v1/bookings/{MAX_ID}", headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 404 and reply.json() == {"detail": f"no booking {MAX_ID}"}
    admin, csrf = session_of(app, "admin")
    for url in (f"/stocktakes/{MAX_ID}", "/audit?page=100000", "/assets?page=100000"):
        assert admin.get(url).status_code in (200, 404), url
    assert admin.post(f"/tokens/{MAX_ID}/revoke", data={"csrf": csrf}).status_code == 404


def test_booking_times_beyond_the_calendar_are_422(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    """Year 9999 an hour west of UTC is a valid RFC 3339 time that no UTC date can hold."""
    token = store.add_token("sync", "manager", "admin", clock())
    client = TestClient(app, raise_server_exceptions=False)
    body = {
        "asset": "CAM-0001",
        "person": "ada",
        "starts": "9999-12-31T23:10:00-01:00",
        "ends": "9999-12-31T23:30:00-01:00",
    }
    reply = client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"][0]["loc"][:2] == ["body", "starts"]
