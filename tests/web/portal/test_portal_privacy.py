"""The portal keeps each borrower to their own: another person's items named in a renewal,
an address or the API are refused and audited; every manager route refuses a borrower; a
manager without a person has no portal; every portal form needs the session's CSRF token; and
the portal's store reads answer to no other part of the store."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hub.store import Store
from hub.store.base import StoreBase
from hub.store.borrower import BorrowerReads
from hub.store.feed_tokens import FeedTokens
from hub.store.schema import feed_tokens
from hub.web.auth import Role
from hub.web.security import RANK
from tests.web.conftest import Clock
from tests.web.portal.world import (
    audited,
    due_of,
    renew,
    signed_in,
)
from tests.web.routes import api_routes, needed_role
from tests.web.served import csrf_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_nobody_reaches_another_person_s_loans_or_pages(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = signed_in(portal, "ada.l")
    before = due_of(cage, "LENS-0001")
    # Eve's item named in Ada's renewal: refused, nothing moved, the try audited
    assert renew(client, "LENS-0001") == "That is not on your loan."
    assert due_of(cage, "LENS-0001") == before
    assert audited(cage, "portal.renew.refused")[-1][:2] == ("ada.l", "LENS-0001")
    # her page and the JSON view are Ada's only, whatever is asked for
    other = client.get("/me", params={"person": "eve", "id": "eve"}).text
    assert "Canon C70" in other and "Zeiss" not in other and "LENS-0001" not in other
    mine = client.get("/api/v1/me/loans", params={"person": "eve"}).json()
    assert sorted(x["asset"] for x in mine) == ["BATT-0001", "CAM-0001", "KIT-0001"]
    # managers' pages and API, Eve's person page among them, refuse a borrower
    for path in ("/people/eve", "/a/LENS-0001", "/", "/out", "/audit", "/bookings"):
        reply = client.get(path, follow_redirects=False)
        assert reply.status_code in (303, 403), path
        assert "Zeiss" not in reply.text and "LENS-0001" not in reply.text, path
        if reply.status_code == 303:
            assert reply.headers["location"] == "/me", path
    for path in ("/api/v1/items-out", "/api/v1/people/eve", "/api/v1/assets/LENS-0001"):
        reply = client.get(path)
        assert reply.status_code in (401, 403, 404), path
        assert "LENS-0001" not in reply.text or reply.status_code == 404, path


def test_every_manager_route_refuses_a_borrower(portal: FastAPI) -> None:
    client = signed_in(portal, "ada.l")
    csrf = csrf_of(client.get("/me").text)
    checked = 0
    for path, route in api_routes(portal):
        role = needed_role(route.dependant)
        if role is None or RANK[role] <= RANK[Role.BORROWER]:  # the portal's own, and sign-out
            continue
        for method in route.methods or ():
            concrete = re.sub(r"\{[^}]+\}", "X", path)
            data = {"csrf": csrf} if method == "POST" and not path.startswith("/api") else None
            reply = client.request(
                method, concrete, data=data, headers={"X-CSRF-Token": csrf}, follow_redirects=False
            )
            assert reply.status_code in (303, 403), (method, path, reply.status_code)
            if reply.status_code == 303:
                assert reply.headers["location"] == "/me"
            checked += 1
    assert checked >= 30


def test_a_manager_without_a_person_gets_no_portal(portal: FastAPI) -> None:
    client = signed_in(portal, "manager")
    assert client.get("/me", follow_redirects=False).status_code in (303, 403)
    assert client.get("/api/v1/me/loans").status_code in (401, 403)


def test_every_portal_form_needs_the_session_s_csrf_token(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = signed_in(portal, "ada.l")
    for path, data in (
        ("/me/renew", {"code": "CAM-0001"}),
        ("/me/feed", {}),
        ("/me/feed/stop", {}),
    ):
        for token in ("", "not-the-token"):
            reply = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
            assert reply.status_code == 403, (path, token)
    assert due_of(cage, "CAM-0001")[1] == 0
    with cage.engine.connect() as conn:
        assert conn.scalar(select(feed_tokens.c.username)) is None


def test_the_portal_s_store_reads_shadow_no_other_part_of_the_store(store: Store) -> None:
    parts = {type(part) for part in vars(store).values() if isinstance(part, StoreBase)}
    for portal in (BorrowerReads, FeedTokens):
        assert portal in parts
        for name in (n for n in vars(portal) if not n.startswith("__")):
            # the store hands the call to the portal's part, and no other part answers to it
            assert getattr(Store, name).__wrapped__ is vars(portal)[name], name
            owners = [p.__name__ for p in parts if name in dir(p)]
            assert owners == [portal.__name__], (name, owners)
