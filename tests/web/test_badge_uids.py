"""Badge UIDs leave the hub whole only for managers: a viewer walking every page, download and
API route sees the last four hex digits at most (a copied staff UID opens the cage door)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from tests.events import commit, kiosk_event
from tests.web.conftest import Clock, session_of
from tests.web.routes import api_routes
from wire import EventType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STAFF_UID = "04D00A7E1C2B80"  # a 7-byte UID, as MIFARE DESFire and Ultralight cards carry
ADA_UID = "04A1B2C3"
# What each path parameter is filled with, so every page shows a record that has badges.
PATH_VALUES = {"person_id": "ada", "code": "CAM-0001", "number": "1", "ticket_id": "1"}
ENDLESS = {"/api/v1/feed"}  # a live stream; it carries no badges


@pytest.fixture
def badged(store: Store, clock: Clock) -> Store:
    """A staff member with a door badge, and a badge enrolled at a kiosk for someone while
    another person holds it (a conflict the overview shows, naming the badge)."""
    store.add_person("sam", "Sam Keeper", [STAFF_UID], staff=True)
    store.start_stocktake("Film cage", "manager", clock())
    commit(store, kiosk_event(clock(), EventType.ENROLL, person="eve", badge=STAFF_UID))
    return store


def _readable_gets(app: FastAPI) -> list[str]:
    paths = []
    for path, route in api_routes(app):
        if "GET" not in (route.methods or ()) or path in ENDLESS or path == "/login":
            continue
        paths.append(re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m[1], "1"), path))
    return paths


def _everything_a_user_reads(client: TestClient, app: FastAPI) -> dict[str, str]:
    seen: dict[str, str] = {}
    for path in _readable_gets(app):
        for url in (path, f"{path}?format=csv"):
            reply = client.get(url)
            if reply.status_code == 200:
                seen[url] = reply.text
    return seen


def test_a_viewer_never_sees_a_whole_uid_anywhere(app: FastAPI, badged: Store) -> None:
    client, _ = session_of(app, "viewer")
    pages = _everything_a_user_reads(client, app)
    assert {"/people/ada", "/people?format=csv", "/api/v1/people/ada", "/"} <= pages.keys()
    for url, text in pages.items():
        assert ADA_UID not in text and STAFF_UID not in text, url
    assert "****B2C3" in pages["/people/ada"]
    assert "****B2C3" in pages["/api/v1/people/ada"]
    assert "**********2B80" in pages["/people?format=csv"]  # staff badges are masked too
    assert "badge **********2B80 enrolled" in pages["/"]  # the enrolment conflict


def test_managers_and_admins_see_uids_whole(app: FastAPI, badged: Store) -> None:
    for user in ("manager", "admin"):
        client, _ = session_of(app, user)
        assert ADA_UID in client.get("/people/ada").text
        assert ADA_UID in client.get("/api/v1/people/ada").text
        assert STAFF_UID in client.get("/people?format=csv").text
        assert f"badge {STAFF_UID} enrolled" in client.get("/").text


def test_a_viewer_token_gets_masked_uids_from_the_api(app: FastAPI, badged: Store) -> None:
    viewer = badged.add_token("board", "viewer", "admin", Clock()())
    manager = badged.add_token("sync", "manager", "admin", Clock()())
    client = TestClient(app)

    def uids(token: str) -> list[str]:
        reply = client.get("/api/v1/people/ada", headers={"Authorization": f"Bearer {token}"})
        return [b["uid"] for b in reply.json()["badges"]]

    assert uids(viewer) == ["****B2C3"]
    assert uids(manager) == [ADA_UID]


def test_a_viewers_export_does_not_import_back_as_real_badges(app: FastAPI, badged: Store) -> None:
    """A viewer's people download cannot be used to register the masked UIDs on another
    person: an import of it is refused whole, naming the masked cells."""
    viewer, _ = session_of(app, "viewer")
    export = viewer.get("/people?format=csv").content
    manager, csrf = session_of(app, "manager")
    reply = manager.post(
        "/people/import", data={"csrf": csrf}, files={"file": ("people.csv", export, "text/csv")}
    )
    assert reply.status_code == 400
    assert "is not a badge UID" in reply.text
    assert manager.get("/api/v1/people/ada").json()["badges"][0]["uid"] == ADA_UID
