"""Every form a dashboard page posts checks the sender's role and the form's CSRF token before
it reads a field: a forged post is refused whatever it carries (nothing changes, nothing is
audited), and a post from a role too low is refused before its token is even looked at. The
routes are found from the app, so a new form is checked without being listed here."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hub.store import Store
from tests.web.conftest import session_of
from tests.web.routes import api_routes

# their own kinds of route: the sign-in forms, the streamed uploads (checked once the upload
# is read) and a borrower's own pages (a person's account: test_booking_and_portal_forms)
OTHER_KINDS = re.compile(r"^/(login|logout)$|^/login/|/import$|^/me/")
# fields that would be refused as malformed, were they read
MALFORMED = {"days": "-5", "start_at": "many", "outcome": "nonsense", "action": "fly", "role": "x"}


def _forms(app: FastAPI) -> list[tuple[str, APIRoute]]:
    return [
        (path, route)
        for path, route in api_routes(app)
        if "POST" in (route.methods or ())
        and not path.startswith("/api/")
        and not OTHER_KINDS.search(path)
    ]


def _url(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: "CAM-0001" if m[1] == "code" else "1", path)


def test_the_forms_are_found(app: FastAPI) -> None:
    paths = {path for path, _ in _forms(app)}
    assert {"/assets/new", "/people/{person_id}/edit", "/users", "/locations/rename"} <= paths
    assert {"/desk/confirm", "/maintenance/{ticket_id}/close", "/tokens"} <= paths
    assert {"/bookings", "/bookings/{booking_id}/cancel"} <= paths
    assert len(paths) >= 25


def test_a_forged_form_is_refused_before_its_fields_are_read(app: FastAPI, store: Store) -> None:
    admin, _csrf = session_of(app, "admin")
    admin = TestClient(app, raise_server_exceptions=False, cookies=admin.cookies)
    audited = len(store.audit_entries(limit=1000))
    for path, _route in _forms(app):
        for token in ({}, {"csrf": "forged"}):
            reply = admin.post(_url(path), data={**MALFORMED, **token}, follow_redirects=False)
            assert reply.status_code == 403, (path, token, reply.status_code, reply.text[:200])
            assert "The form expired or was not sent by this site" in reply.text
    assert len(store.audit_entries(limit=1000)) == audited
    assert store.asset_detail("CAM-0001") is not None


def test_a_role_too_low_is_told_so_whatever_the_token(app: FastAPI) -> None:
    viewer, csrf = session_of(app, "viewer")
    for path in ("/assets/new", "/users", "/locations", "/tokens", "/desk/find"):
        for token in ({}, {"csrf": csrf}):
            reply = viewer.post(path, data={**MALFORMED, **token}, follow_redirects=False)
            assert reply.status_code == 403, (path, reply.status_code)
            assert "needs the" in reply.text, (path, reply.text[:200])
