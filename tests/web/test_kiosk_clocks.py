"""A kiosk's wrong or unsynchronised clock on the dashboard: the overview's kiosk health and
"Needs attention", the kiosks page and the kiosks API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.store.fleet import CLOCK_SKEW_LIMIT
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from kiosk.session import Profile
from tests.fakes.clock_sync import FakeClockSync
from tests.fakes.wall_clock import SkewedClock
from tests.harness import Cage
from tests.waiting import wait_until
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import client_of
from wire import KioskState, KioskStatus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def viewer(app: FastAPI) -> TestClient:
    return client_of(app, "viewer", PASSWORD)


def kiosk_health(page: str) -> str:
    return page.split('id="kiosks"')[1].split("</table>")[0]


def attention(page: str) -> str:
    if 'id="attention"' not in page:
        return ""
    return page.split('id="attention"')[1].split("</section>")[0]


def test_a_door_station_an_hour_behind_is_shown_on_the_overview_and_kiosk_page(
    cage: Cage,
) -> None:
    behind = SkewedClock(cage.clock, timedelta(hours=-1))
    station = cage.kiosk(
        "door-1", profile=Profile.STATION, clock=behind, clock_sync=FakeClockSync(True)
    )
    cage_kiosk = cage.kiosk("cage-1", clock_sync=FakeClockSync(True))
    for kiosk in (station, cage_kiosk):
        kiosk.wait_replica(10)  # the hub is subscribed: a status sent now arrives live
        assert kiosk.link is not None
        kiosk.link.publish_status()  # one sent before may have reached it only as retained
    wait_until(lambda: len(cage.store.kiosk_clocks()) == 2, "the hub never timed both clocks")
    create_user(cage.store, "viewer", PASSWORD, "viewer", cage.clock.now())
    client = viewer(create_app(cage.store, WebSettings(secret_key="k" * 40), cage.clock.now))

    page = client.get("/").text
    health = kiosk_health(page)
    assert health.count("clock 60 min behind") == 1
    assert health.index("door-1") < health.index("clock 60 min behind")
    assert "Needs attention" in page
    assert "door-1</span>: clock 60 min behind" in attention(page)
    assert "cage-1" not in attention(page)  # its clock is right

    kiosks = client.get("/kiosks").text
    row = next(r for r in kiosks.split("<tr") if ">door-1<" in r)
    assert "clock 60 min behind" in row
    assert "clock" not in next(r for r in kiosks.split("<tr") if ">cage-1<" in r)
    csv = client.get("/kiosks?format=csv").content.decode("utf-8-sig")
    assert "clock 60 min behind" in csv

    api = {k["id"]: k["clock"] for k in client.get("/api/v1/kiosks").json()}
    assert api["door-1"]["offset_s"] == -3600 and api["door-1"]["skewed"] is True
    assert api["door-1"]["notes"] == ["clock 60 min behind"]
    assert api["cage-1"]["offset_s"] == 0 and api["cage-1"]["notes"] == []


def online(store: Store, clock: Clock, ahead: timedelta, synced: bool | None = True) -> None:
    status = KioskStatus(
        kiosk="cage-1",
        state=KioskState.ONLINE,
        at=clock() + ahead,
        clock_synced=synced,
    )
    store.record_status(status, status.model_dump_json(exclude_none=True), clock())


def test_small_offsets_pass_and_larger_ones_ahead_are_shown(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    client = viewer(app)
    online(store, clock, CLOCK_SKEW_LIMIT - timedelta(seconds=1))
    assert "clock" not in kiosk_health(client.get("/").text)
    assert "Needs attention" not in client.get("/").text
    online(store, clock, timedelta(minutes=3))
    assert "clock 3 min ahead" in kiosk_health(client.get("/").text)
    online(store, clock, timedelta(days=2))
    assert "clock 48 h ahead" in kiosk_health(client.get("/").text)


def test_an_unsynchronised_clock_needs_attention_even_when_it_is_right(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    client = viewer(app)
    online(store, clock, timedelta(0), synced=False)
    page = client.get("/").text
    assert "clock not synchronised" in kiosk_health(page)
    assert "cage-1</span>: clock not synchronised" in attention(page)
    online(store, clock, -timedelta(minutes=10), synced=False)
    assert "cage-1</span>: clock 10 min behind, clock not synchronised" in attention(
        client.get("/").text
    )


def test_an_offline_kiosk_keeps_its_measurement_but_shows_no_clock_note(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    client = viewer(app)
    online(store, clock, -timedelta(hours=1))
    offline = KioskStatus(kiosk="cage-1", state=KioskState.OFFLINE)
    clock.now += timedelta(minutes=5)
    store.record_status(offline, offline.model_dump_json(exclude_none=True), clock())
    assert store.kiosk_clocks()["cage-1"].offset_s == -3600  # for hub code that needs it
    page = client.get("/").text
    assert "clock" not in kiosk_health(page) and "Needs attention" not in page
    assert client.get("/api/v1/kiosks").json()[0]["clock"]["notes"] == []


def test_a_retained_status_is_recorded_but_not_timed(store: Store, clock: Clock) -> None:
    status = KioskStatus(kiosk="cage-1", state=KioskState.ONLINE, at=clock() - timedelta(hours=3))
    store.record_status(status, status.model_dump_json(), clock(), live=False)
    assert store.kiosk_clocks() == {}
    assert store.kiosk_views()[0].state == "online"
