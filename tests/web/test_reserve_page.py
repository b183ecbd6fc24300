"""A borrower's own reservations on /me/reserve and /api/v1/me/reservations: reserved through
the managers' checks with reasons in the cage's time, cancelled only by their owner, the
creation rate capped with a clear 429, and nothing of it open to staff accounts or tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub.domain.reservations import ReservationRules
from hub.store import Store
from hub.store.audit import AuditFilter
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of
from wire import OpeningSpec, ReplicaPolicy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEEKDAYS = {d: ("09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")}
OPEN = ReplicaPolicy(opening=OpeningSpec(tz="Europe/London", weekly=WEEKDAYS))


def _settings(**changes: object) -> WebSettings:
    return WebSettings(secret_key="k" * 40, display_tz="Europe/London", lending=OPEN, **changes)  # type: ignore[arg-type]


def _signed_in(
    store: Store, clock: Clock, user: str, settings: WebSettings
) -> tuple[TestClient, str]:
    client = client_of(create_app(store, settings, clock), user, PASSWORD)
    page = client.get("/me/reserve") if user.endswith(".b") else client.get("/account")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return client, found.group(1)


@pytest.fixture
def borrowers(store: Store, clock: Clock) -> None:
    create_user(store, "ada.b", PASSWORD, "borrower", clock(), person="ada")
    create_user(store, "eve.b", PASSWORD, "borrower", clock(), person="eve")


def _form(csrf: str, target: str, starts: str, ends: str) -> dict[str, str]:
    return {"csrf": csrf, "target": target, "starts": starts, "ends": ends}


@pytest.mark.usefixtures("borrowers")
def test_a_borrower_reserves_from_the_page_and_sees_it(store: Store, clock: Clock) -> None:
    ada, csrf = _signed_in(store, clock, "ada.b", _settings())
    page = ada.get("/me/reserve")
    assert page.status_code == 200
    assert 'value="category:camera"' in page.text and 'value="item:CAM-0001"' in page.text
    assert "The cage is open Mon 09:00 to 17:00" in page.text
    made = ada.post(
        "/me/reserve",
        data=_form(csrf, "item:CAM-0001", "2026-03-03T10:00", "2026-03-03T12:00"),
    )
    assert made.status_code == 200  # followed the redirect back to the page
    assert "Reserved CAM-0001 from Tue 03 Mar 10:00 to Tue 03 Mar 12:00" in made.text
    assert re.search(r"<td>\d+</td><td>CAM-0001 · Canon C70</td>", made.text)
    entries = store.audit_page(AuditFilter(action="reservation.create"))
    assert [(e.actor, e.target) for e in entries] == [("ada.b", "CAM-0001")]


@pytest.mark.usefixtures("borrowers")
def test_each_refusal_is_said_in_words_and_the_form_keeps_what_was_typed(
    store: Store, clock: Clock
) -> None:
    ada, csrf = _signed_in(store, clock, "ada.b", _settings())
    saturday = ada.post(
        "/me/reserve", data=_form(csrf, "item:CAM-0001", "2026-03-07T10:00", "2026-03-07T12:00")
    )
    assert saturday.status_code == 409
    assert (
        "the cage is closed at Sat 07 Mar 2026 10:00 GMT: start while it is open" in saturday.text
    )
    assert 'value="2026-03-07T10:00"' in saturday.text
    store.add_booking("CAM-0001", "eve", clock(), clock() + timedelta(days=2), clock())
    checkout(store, clock, "CAM-0002", person="eve", hours=30)
    busy = ada.post(
        "/me/reserve", data=_form(csrf, "category:camera", "2026-03-03T10:00", "2026-03-03T12:00")
    )
    assert busy.status_code == 200  # LENS-0001 was free
    assert "Reserved LENS-0001" in busy.text
    again = ada.post(
        "/me/reserve", data=_form(csrf, "item:CAM-0002", "2026-03-03T10:00", "2026-03-03T12:00")
    )
    assert again.status_code == 409
    assert (
        "CAM-0002 is on loan until Tue 03 Mar 2026 15:30 GMT, after your window starts"
        in again.text
    )
    assert "script" not in again.text.split('id="reserve-error"')[1].split("</p>")[0]  # eve unnamed
    bad = ada.post(
        "/me/reserve", data=_form(csrf, "item:CAM-0001", "next tuesday", "2026-03-03T12:00")
    )
    assert bad.status_code == 400 and "Not reserved: Invalid isoformat" in bad.text
    nothing = ada.post("/me/reserve", data=_form(csrf, "", "2026-03-03T10:00", "2026-03-03T12:00"))
    assert nothing.status_code == 400 and "choose a category, an item or a kit" in nothing.text
    unknown = ada.post(
        "/me/reserve", data=_form(csrf, "item:NOPE-1", "2026-03-03T10:00", "2026-03-03T12:00")
    )
    assert unknown.status_code == 400 and "no item or kit &#39;NOPE-1&#39;" in unknown.text


@pytest.mark.usefixtures("borrowers")
def test_a_borrower_cancels_only_their_own(store: Store, clock: Clock) -> None:
    eve, eve_csrf = _signed_in(store, clock, "eve.b", _settings())
    made = eve.post(
        "/api/v1/me/reservations",
        json={
            "asset": "CAM-0001",
            "starts": "2026-03-03T10:00:00Z",
            "ends": "2026-03-03T12:00:00Z",
        },
        headers={"X-CSRF-Token": eve_csrf},
    )
    assert made.status_code == 201, made.text
    number = made.json()["id"]
    ada, csrf = _signed_in(store, clock, "ada.b", _settings())
    assert ada.get("/api/v1/me/reservations").json() == []  # eve's is not ada's to see
    page = ada.post(f"/me/reserve/{number}/cancel", data={"csrf": csrf})
    assert page.status_code == 404 and "No such reservation of yours" in page.text
    api = ada.delete(f"/api/v1/me/reservations/{number}", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 404
    assert [r["id"] for r in eve.get("/api/v1/me/reservations").json()] == [number]
    gone = eve.post(f"/me/reserve/{number}/cancel", data={"csrf": eve_csrf})
    assert gone.status_code == 200 and f"Reservation {number} cancelled." in gone.text
    assert eve.get("/api/v1/me/reservations").json() == []
    entries = store.audit_page(AuditFilter(action="reservation.cancel"))
    assert [(e.actor, e.target) for e in entries] == [("eve.b", "CAM-0001")]


@pytest.mark.usefixtures("borrowers")
def test_making_reservations_is_rate_limited_with_a_clear_429(store: Store, clock: Clock) -> None:
    settings = _settings(reservations=ReservationRules(live=10, per_window=2))
    ada, csrf = _signed_in(store, clock, "ada.b", settings)
    headers = {"X-CSRF-Token": csrf}
    for day in (3, 4):
        body = {
            "category": "camera",
            "starts": f"2026-03-0{day}T10:00:00Z",
            "ends": f"2026-03-0{day}T11:00:00Z",
        }
        assert ada.post("/api/v1/me/reservations", json=body, headers=headers).status_code == 201
    body = {"category": "camera", "starts": "2026-03-05T10:00:00Z", "ends": "2026-03-05T11:00:00Z"}
    limited = ada.post("/api/v1/me/reservations", json=body, headers=headers)
    assert limited.status_code == 429
    assert limited.json() == {
        "detail": "at most 2 reservations in 60 minutes: try again in 60 minutes"
    }
    assert limited.headers["retry-after"] == "3600"
    form = ada.post(
        "/me/reserve", data=_form(csrf, "category:camera", "2026-03-05T10:00", "2026-03-05T11:00")
    )
    assert form.status_code == 429 and form.headers["retry-after"] == "3600"
    assert "Not reserved: at most 2 reservations in 60 minutes" in form.text
    assert len(ada.get("/api/v1/me/reservations").json()) == 2  # nothing more was made
    eve, eve_csrf = _signed_in(store, clock, "eve.b", settings)  # each borrower has their own
    assert (
        eve.post(
            "/api/v1/me/reservations", json=body, headers={"X-CSRF-Token": eve_csrf}
        ).status_code
        == 201
    )
    clock.now = clock.now.replace(hour=10, minute=31)  # the first has left the window
    ada, csrf = _signed_in(store, clock, "ada.b", settings)  # (the idle session ended)
    made = ada.post("/api/v1/me/reservations", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201


@pytest.mark.usefixtures("borrowers")
def test_staff_accounts_tokens_and_forged_requests_are_refused(store: Store, clock: Clock) -> None:
    body = {"asset": "CAM-0001", "starts": "2026-03-03T10:00:00Z", "ends": "2026-03-03T12:00:00Z"}
    manager, csrf = _signed_in(store, clock, "manager", _settings())
    refused = manager.post("/api/v1/me/reservations", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert manager.get("/me/reserve").status_code == 403
    token = store.add_token("robot", "admin", "admin", clock())
    bearer = TestClient(create_app(store, _settings(), clock))
    reply = bearer.get("/api/v1/me/reservations", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 403
    ada, csrf = _signed_in(store, clock, "ada.b", _settings())
    assert ada.post("/api/v1/me/reservations", json=body).status_code == 403  # no CSRF token
    both = {**body, "category": "camera"}
    invalid = ada.post("/api/v1/me/reservations", json=both, headers={"X-CSRF-Token": csrf})
    assert invalid.status_code == 422 and "not both" in invalid.text
    assert store.reservations_of("ada", clock()) == []
