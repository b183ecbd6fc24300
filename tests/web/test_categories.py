"""The categories page: a manager restricts a category to access groups and opens it again;
the kiosks' replica follows; bad input is refused with the reason; and a checkout a kiosk made
against the rules shows in "Needs attention" on the overview."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub.replica import build_snapshot
from hub.store import Store
from hub.web.app import WebSettings, create_app
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _signed_in(store: Store, clock: Clock, user: str) -> tuple[TestClient, str]:
    client = client_of(create_app(store, WebSettings(secret_key="k" * 40), clock), user, PASSWORD)
    page = client.get("/account")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    return client, token.group(1)


def test_a_manager_restricts_a_category_and_opens_it_again(store: Store, clock: Clock) -> None:
    client, csrf = _signed_in(store, clock, "manager")
    page = client.get("/categories")
    assert page.status_code == 200
    assert 'aria-label="Access groups of camera, separated by ;"' in page.text

    saved = client.post(
        "/categories/groups",
        data={"category": "camera", "groups": "FILM101;  photo  club ;film101", "csrf": csrf},
    )
    assert saved.status_code == 200  # after the redirect
    assert "camera is only for FILM101, photo club." in saved.text
    assert 'value="FILM101; photo club"' in saved.text
    policy = build_snapshot(store.replica_rows(clock()), 1, clock()).policy
    assert policy.groups == {"camera": ["FILM101", "photo club"]}

    too_long = client.post(
        "/categories/groups", data={"category": "camera", "groups": "x" * 70, "csrf": csrf}
    )
    assert too_long.status_code == 400
    assert "camera not changed: group" in too_long.text and "longer than 64" in too_long.text
    assert 'value="' + "x" * 70 + '"' in too_long.text  # what was typed is kept to fix

    opened = client.post(
        "/categories/groups", data={"category": "camera", "groups": "", "csrf": csrf}
    )
    assert "camera is open to everyone." in opened.text
    assert build_snapshot(store.replica_rows(clock()), 2, clock()).policy.groups == {}


def test_viewers_and_managers_of_one_cage_cannot_change_categories(
    store: Store, clock: Clock
) -> None:
    viewer, csrf = _signed_in(store, clock, "viewer")
    assert viewer.get("/categories").status_code == 403
    refused = viewer.post(
        "/categories/groups", data={"category": "camera", "groups": "X", "csrf": csrf}
    )
    assert refused.status_code == 403
    manager = store.get_user("manager")
    assert manager is not None
    store.add_user("scoped", manager.password_hash, "manager", clock(), cages=["Film cage"])
    scoped, csrf = _signed_in(store, clock, "scoped")
    assert 'name="groups"' not in scoped.get("/categories").text  # read, not change
    refused = scoped.post(
        "/categories/groups", data={"category": "camera", "groups": "X", "csrf": csrf}
    )
    assert refused.status_code == 403
    assert build_snapshot(store.replica_rows(clock()), 1, clock()).policy.groups == {}


def test_a_checkout_against_the_groups_needs_attention(store: Store, clock: Clock) -> None:
    store.set_category_groups("camera", ["FILM101"], clock(), "manager")
    clock.now += timedelta(minutes=5)
    checkout(store, clock, "CAM-0001", person="ada")  # a kiosk with an old replica lent it
    client, _ = _signed_in(store, clock, "viewer")
    overview = client.get("/").text
    section = overview.split('id="attention"')[1]
    assert "lent against the rules" in section
    assert "ada was lent CAM-0001 at cage-1 on 2026-03-02 09:35 UTC: not in FILM101" in section


def test_a_person_s_page_shows_groups_from_both_sources(store: Store, clock: Clock) -> None:
    store.import_groups({"ada": ["FILM101"]}, clock(), "manager")
    store.set_groups("ada", ["Engineering", "Staff;admins", "x" * 65])  # from sign-in
    client, _ = _signed_in(store, clock, "viewer")
    page = client.get("/people/ada").text
    assert "FILM101" in page
    # a claim that cannot be a group name (";" inside, too long) is left out, not an error
    assert '<span id="provider-groups"' in page and "Engineering (from sign-in)" in page
    assert "admins" not in page and "x" * 65 not in page


def test_the_bookings_form_and_api_refuse_a_booker_outside_the_groups(
    store: Store, clock: Clock
) -> None:
    store.set_category_groups("camera", ["FILM101"], clock(), "manager")
    client, csrf = _signed_in(store, clock, "manager")
    form = {"asset": "CAM-0001", "person": "ada", "csrf": csrf}
    refused = client.post(
        "/bookings", data={**form, "starts": "2026-03-03T10:00", "ends": "2026-03-03T16:00"}
    )
    assert refused.status_code == 409
    assert "ada is not in FILM101, the groups CAM-0001 is restricted to" in refused.text
    api = client.post(
        "/api/v1/bookings",
        json={
            "asset": "CAM-0001",
            "person": "ada",
            "starts": "2026-03-03T14:00:00Z",
            "ends": "2026-03-03T22:00:00Z",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 409 and "not in FILM101" in api.json()["detail"]
    assert store.bookings_between(clock(), clock() + timedelta(days=7)) == []
