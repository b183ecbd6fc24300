"""A manager limited to one cage sees and changes only that cage's kiosks, assets, bookings
and tickets, on the pages and through the JSON API; another cage's asset answers 404, as if
it did not exist. Admins and unlimited managers see everything."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from hub.alerts.dispatch import Alerter
from hub.store import Store
from hub.web.auth import create_user
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import page_csrf, served, signed_in

OTHER = "MIC-0001"  # lives in the sound store


@pytest.fixture
def cages(store: Store, clock: Clock) -> Store:
    now = clock()
    store.update_asset("CAM-0001", now, "test", home="Film cage")
    store.add_asset(OTHER, "Sennheiser MKH 416", "audio", home="Sound store")
    store.add_kiosk("sound-1", "Sound store kiosk", now, location="Sound store")
    create_user(store, "film", PASSWORD, "manager", now)
    store.set_user_cages("film", ["Film cage"], now, "test")
    store.add_booking(OTHER, "ada", now + timedelta(days=1), now + timedelta(days=2), now)
    store.report_problem(OTHER, "crackles", now, "test")
    return store


@pytest.fixture
def url(app: FastAPI, cages: Store) -> Iterator[str]:
    with served(app) as base:
        yield base


def _origin(client: httpx.Client) -> dict[str, str]:
    return {"Origin": str(client.base_url).rstrip("/")}


def test_a_scoped_manager_cannot_see_another_cages_asset(
    url: str, cages: Store, clock: Clock
) -> None:
    cages.add_asset("MIC-0002", "Rode NTG3", "audio", home="Sound store")
    checkout(cages, clock, "CAM-0001", hours=1, seq=1)
    checkout(cages, clock, "MIC-0002", hours=1, seq=2)
    clock.now += timedelta(hours=2)
    with closing(signed_in(url, "film", PASSWORD)) as film:
        overdue = film.get("/api/v1/overview").json()["overdue"]
        assert [i["asset"] for i in overdue] == ["CAM-0001"]
        assert "MIC-0002" not in film.get("/").text
        listing = film.get("/assets").text
        assert "CAM-0001" in listing and OTHER not in listing
        assert OTHER not in film.get("/assets?format=csv").text
        for path in (f"/a/{OTHER}", f"/a/{OTHER}/edit", f"/a/{OTHER.lower()}"):
            assert film.get(path).status_code == 404, path
        kiosks = film.get("/kiosks").text
        assert "cage-1" in kiosks and "sound-1" not in kiosks
        assert "Sennheiser" not in film.get("/bookings").text
        assert "crackles" not in film.get("/maintenance").text

        api = film.get("/api/v1/assets").json()
        assert [a["code"] for a in api["assets"]] == ["CAM-0001"] and api["total"] == 1
        assert film.get(f"/api/v1/assets/{OTHER}").status_code == 404
        assert [k["id"] for k in film.get("/api/v1/kiosks").json()] == ["cage-1"]
        assert film.get("/api/v1/bookings").json() == []


def test_what_is_out_counts_only_the_managers_cages(url: str, cages: Store, clock: Clock) -> None:
    cages.add_asset("MIC-0002", "Rode NTG3", "audio", home="Sound store")
    checkout(cages, clock, "CAM-0001", hours=1, seq=1)
    checkout(cages, clock, "MIC-0002", hours=1, seq=2)
    clock.now += timedelta(hours=2)
    with closing(signed_in(url, "film", PASSWORD)) as film:
        out = film.get("/out").text
        assert "CAM-0001" in out and "MIC-0002" not in out
        csv = film.get("/out?format=csv").text
        assert "CAM-0001" in csv and "MIC-0002" not in csv
        assert [i["asset"] for i in film.get("/api/v1/items-out").json()] == ["CAM-0001"]
        assert [i["asset"] for i in film.get("/api/v1/items-out?offset=0").json()] == ["CAM-0001"]
        counts = film.get("/api/v1/overview").json()["counts"]
        assert (counts["out"], counts["overdue"]) == (1, 1)
        assert counts["assets"] == 1  # the film cage's camera, not the sound store's microphones
        assert all(a["asset"] != "MIC-0002" for a in film.get("/api/v1/alerts").json())
    with closing(signed_in(url, "manager", PASSWORD)) as everyone:
        counts = everyone.get("/api/v1/overview").json()["counts"]
        assert (counts["out"], counts["overdue"]) == (2, 2)
        assert len(everyone.get("/api/v1/items-out").json()) == 2


def test_a_scoped_manager_cannot_change_another_cages_asset(
    url: str, cages: Store, clock: Clock
) -> None:
    with closing(signed_in(url, "film", PASSWORD)) as film:
        csrf = page_csrf(film, "/assets")
        sent = {"csrf": csrf}
        steps = [
            (f"/a/{OTHER}/lifecycle", {**sent, "action": "retire"}),
            (f"/a/{OTHER}/edit", {**sent, "name": "mine now", "category": "audio"}),
            (f"/a/{OTHER}/pieces", {**sent, "pieces": ""}),
        ]
        for path, form in steps:
            reply = film.post(path, data=form, headers=_origin(film))
            assert reply.status_code == 404, path
        # nor pull it into a kit of their own cage, nor place a new asset in another cage
        reply = film.post(
            "/a/CAM-0001/pieces", data={**sent, "pieces": OTHER}, headers=_origin(film)
        )
        assert reply.status_code == 400 and f"no asset {OTHER}" in reply.text
        reply = film.post(
            "/assets/new",
            data={**sent, "code": "NEW-1", "name": "x", "category": "audio", "home": "Sound store"},
            headers=_origin(film),
        )
        assert reply.status_code == 400 and "your own cages" in reply.text
        assert cages.asset("NEW-1") is None

        # bookings and tickets of that asset
        reply = film.post(
            "/bookings",
            data={
                **sent,
                "asset": OTHER,
                "person": "ada",
                "starts": "2026-03-10T10:00",
                "ends": "2026-03-10T12:00",
            },
            headers=_origin(film),
        )
        assert reply.status_code == 404
        booking = cages.bookings_between(clock(), clock() + timedelta(days=5))[0].id
        assert (
            film.post(f"/bookings/{booking}/cancel", data=sent, headers=_origin(film)).status_code
            == 404
        )
        ticket = cages.tickets()[0].id
        reply = film.post(
            f"/maintenance/{ticket}/close",
            data={**sent, "outcome": "repaired"},
            headers=_origin(film),
        )
        assert reply.status_code == 404

        # the JSON API the same way
        api = {**_origin(film), "X-CSRF-Token": csrf}
        body = {
            "asset": OTHER,
            "person": "ada",
            "starts": "2026-03-10T10:00:00Z",
            "ends": "2026-03-10T12:00:00Z",
        }
        assert film.post("/api/v1/bookings", json=body, headers=api).status_code == 404
        assert film.delete(f"/api/v1/bookings/{booking}", headers=api).status_code == 404

        # nor print its label (which would name it)
        reply = film.post(
            "/labels", data={**sent, "stock": "L7160", "codes": OTHER}, headers=_origin(film)
        )
        assert reply.status_code == 400 and f"No such asset: {OTHER}" in reply.text

        # nor import a file, whose rows may name any cage's assets
        reply = film.post(
            "/assets/import",
            data={"csrf": csrf},
            files={"file": ("a.csv", f"code,name,category\n{OTHER},mine now,audio\n")},
            headers=_origin(film),
        )
        assert reply.status_code == 403

        # the shared list of locations is not theirs to change
        reply = film.post("/locations", data={**sent, "name": "Mine"}, headers=_origin(film))
        assert reply.status_code == 403

    detail = cages.asset_detail(OTHER)
    assert detail is not None
    assert detail.asset.status == "maintenance" and detail.asset.name != "mine now"
    assert not detail.bookings[0].cancelled
    assert cages.tickets()[0].closed_at is None


def test_admins_and_unlimited_managers_see_every_cage(url: str) -> None:
    for user in ("admin", "manager"):
        with closing(signed_in(url, user, PASSWORD)) as client:
            assert client.get(f"/a/{OTHER}").status_code == 200
            assert client.get("/api/v1/assets").json()["total"] == 4
            assert len(client.get("/api/v1/kiosks").json()) == 2
            assert "crackles" in client.get("/maintenance").text


def test_limiting_a_user_takes_effect_at_their_next_request(
    url: str, cages: Store, clock: Clock
) -> None:
    with closing(signed_in(url, "manager", PASSWORD)) as manager:
        assert manager.get(f"/api/v1/assets/{OTHER}").status_code == 200
        cages.set_user_cages("manager", ["Film cage"], clock(), "admin")
        assert manager.get(f"/api/v1/assets/{OTHER}").status_code == 404
        cages.set_user_cages("manager", [], clock(), "admin")
        assert manager.get(f"/api/v1/assets/{OTHER}").status_code == 200


def test_a_scoped_manager_s_alerts_are_not_crowded_out_by_other_cages(
    url: str, cages: Store, clock: Clock
) -> None:
    """The overview shows the ten newest escalations and the API a limit: both count only the
    manager's cages, so a busy cage elsewhere never hides their own."""
    checkout(cages, clock, "CAM-0001", hours=1, seq=1)
    clock.now += timedelta(hours=26)
    Alerter(cages, clock).run_once()  # the film cage's camera escalated first
    for n in range(12):
        code = f"MIC-1{n:03}"
        cages.add_asset(code, f"Lavalier {n}", "audio", home="Sound store")
        checkout(cages, clock, code, hours=1, seq=10 + n)
    clock.now += timedelta(hours=26)
    Alerter(cages, clock).run_once()  # then twelve of the sound store's, newer
    with closing(signed_in(url, "film", PASSWORD)) as film:
        escalated = film.get("/").text
        assert "Canon C70" in escalated[escalated.index('id="escalated"') :]
        assert "Lavalier" not in escalated
        listed = film.get("/api/v1/alerts?limit=5").json()
        assert {a["asset"] for a in listed} == {"CAM-0001"}
    with closing(signed_in(url, "manager", PASSWORD)) as everyone:
        assert len(everyone.get("/api/v1/alerts?limit=5").json()) == 5
