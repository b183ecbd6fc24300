"""Custody in event order, end to end: real kiosk apps (the fake reader chip and camera behind
the real drivers, or the session's own inputs), the real Mosquitto with deploy/'s config, the
real hub link and a SQLite hub store.

A return that reaches the hub before an offline kiosk's older checkout still ends the loan; a
door station whose clock is an hour behind still ends the loan it stamps as returned before it
began, and the hub says whose clock to check. (A hub killed mid-burst: test_hub_killed_e2e.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from hub.alerts.dispatch import Alerter
from kiosk.app import Devices, KioskApp
from kiosk.drivers.camera import QrScanner
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.screens import CartScreen, IdleScreen, LineAction, ReceiptScreen, Screen
from kiosk.session import Profile
from tests.fakes.camera import FakePicamera2
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.fakes.network import Cable
from tests.fakes.wall_clock import SkewedClock
from tests.harness import Cage
from tests.histories import state
from tests.kiosk_visits import (
    ADA,
    WAIT,
    drained,
    free,
    held_by,
    offline,
    online,
    receipt,
    visit,
)
from tests.waiting import wait_until


def alerter(cage: Cage) -> Alerter:
    """The overdue sweeper on the cage's clock (no delivery channels: what it raises is kept)."""
    return Alerter(cage.store, cage.clock.now)


# 1. an offline cage kiosk, an online door station -----------------------------------------


@dataclass
class Rig:
    cage_kiosk: KioskApp
    chip: FakeMFRC522Chip
    cage_camera: FakePicamera2
    door: KioskApp
    door_camera: FakePicamera2
    cable: Cable


@pytest.fixture
def rig(cage: Cage) -> Iterator[Rig]:
    """The cage kiosk (reader chip and camera) on a network cable the test can pull; the door
    station (camera only) straight on the broker."""
    cable = Cable(cage.broker.port)
    chip, cage_camera, door_camera = FakeMFRC522Chip(), FakePicamera2(), FakePicamera2()
    try:
        cage_kiosk = cage.kiosk(
            "cage-1",
            Devices(
                badges=BadgeReader(MFRC522(chip), cage.clock.monotonic),
                codes=QrScanner(cage_camera),
            ),
            broker_port=cable.port,
        )
        door = cage.kiosk("door-1", Devices(codes=QrScanner(door_camera)), Profile.STATION)
        yield Rig(cage_kiosk, chip, cage_camera, door, door_camera, cable)
    finally:
        for app in list(cage.kiosks):
            cage.close_kiosk(app)  # before the cable goes: a kiosk says goodbye through it
        cable.close()


def on_screen(kiosk: KioskApp, check: Callable[[Screen], bool]) -> Screen:
    return kiosk.wait_for_screen(check, WAIT)


def test_a_return_at_the_door_before_the_offline_checkout_arrives_ends_the_loan(
    cage: Cage, rig: Rig
) -> None:
    kiosk, door = rig.cage_kiosk, rig.door
    for app in (kiosk, door):
        app.wait_replica(WAIT)
        online(app)

    rig.cable.unplug()  # the cage kiosk's network goes; the door station's stays
    offline(kiosk)
    online(door)

    # Ada borrows the camera at the cage kiosk: badge on the reader, label to the camera, and
    # the kiosk's confirm button
    lent_at = cage.clock.now()
    rig.chip.place_card(bytes.fromhex(ADA))
    on_screen(kiosk, lambda s: isinstance(s, CartScreen) and s.person_name == "Ada Lovelace")
    rig.chip.remove_card()
    rig.cage_camera.show("CK1:CAM-0001")
    on_screen(kiosk, lambda s: isinstance(s, CartScreen) and len(s.lines) == 1)
    rig.cage_camera.clear()
    kiosk.press()
    shown = on_screen(kiosk, lambda s: isinstance(s, ReceiptScreen))
    assert isinstance(shown, ReceiptScreen) and shown.offline
    [line] = shown.lines
    assert (line.code, line.action, line.due) == (
        "CAM-0001",
        LineAction.CHECKOUT,
        lent_at + timedelta(hours=48),
    )
    assert kiosk.outbox.depth() == 1  # waiting in the outbox
    assert cage.store.ledger_rows() == []

    # three hours later the camera comes back at the door, which is online: the return is
    # committed first, and the hub cannot yet tell what loan it ended
    cage.clock.advance(3 * 3600)
    returned_at = cage.clock.now()
    rig.door_camera.show("CK1:CAM-0001")
    on_screen(
        door,
        lambda s: isinstance(s, IdleScreen) and s.message == "Returned: Canon C70 cinema camera",
    )
    rig.door_camera.clear()
    drained(door)
    assert [(r.kiosk, r.type, r.asset, r.at) for r in cage.store.ledger_rows()] == [
        ("door-1", "return", "CAM-0001", returned_at)
    ]
    assert [(a.kind, a.asset) for a in cage.store.attention().anomalies] == [
        ("not_on_loan", "CAM-0001")
    ]
    assert cage.store.items_out() == []
    sweeper = alerter(cage)
    assert sweeper.sweep_once().raised == 0

    # the cage kiosk stays cut off for two days, past the loan's due time, then its network
    # comes back and its outbox drains
    cage.clock.advance(47 * 3600)
    assert cage.clock.now() > lent_at + timedelta(hours=48)
    assert kiosk.outbox.depth() == 1
    rig.cable.plug()
    online(kiosk)
    drained(kiosk)

    rows = cage.store.ledger_rows()
    assert [(r.kiosk, r.seq, r.type, r.person, r.asset, r.at) for r in rows] == [
        ("cage-1", 1, "checkout", "ada", "CAM-0001", lent_at),
        ("door-1", 1, "return", None, "CAM-0001", returned_at),
    ]
    assert cage.store.items_out() == []  # the older checkout did not put the camera back out
    assert cage.store.attention().anomalies == []  # the return found its loan
    report = sweeper.sweep_once()  # two hours past the due time
    assert report.raised == 0 and cage.store.open_alert_ids() == []
    seen = state(cage.store)
    assert seen["holdings"] == [] and seen["open alerts"] == []
    assert seen["late"] == []  # back 45 hours early: no strike, no ban
    assert all(blocked is None for _, blocked, _ in seen["bans"])
    assert cage.store.verify() == []

    # both kiosks come to see the camera on the shelf, the cage kiosk's own checkout settled
    for app in (kiosk, door):
        app.wait_replica(WAIT, until=free("CAM-0001"))
    assert kiosk.outbox.depth() == 0 and kiosk.outbox.dead_letters() == []


# 2. a door station whose clock is an hour behind -------------------------------------------


def test_a_door_clock_an_hour_behind_still_ends_the_loan_and_names_its_clock(
    cage: Cage,
) -> None:
    kiosk = cage.kiosk("cage-1")
    door = cage.kiosk(
        "door-1", profile=Profile.STATION, clock=SkewedClock(cage.clock, timedelta(hours=-1))
    )
    for app in (kiosk, door):
        app.wait_replica(WAIT)
        online(app)
    wait_until(
        lambda: {"cage-1", "door-1"} <= set(cage.store.kiosk_clocks()),
        "the hub never timed both kiosks' clocks",
    )

    lent_at = cage.clock.now()
    visit(kiosk, ADA, "CK1:CAM-0001")
    receipt(kiosk)
    drained(kiosk)
    door.wait_replica(WAIT, until=held_by("CAM-0001", "ada"))

    # half an hour later Ada drops the camera at the door, whose clock says 30 min before
    # she borrowed it
    cage.clock.advance(30 * 60)
    door.submit(door.label("CK1:CAM-0001"))
    door.wait_for_screen(
        lambda s: isinstance(s, IdleScreen) and s.message == "Returned: Canon C70 cinema camera",
        WAIT,
    )
    drained(door)

    rows = cage.store.ledger_rows()
    assert [(r.kiosk, r.type, r.person, r.at) for r in rows] == [
        ("cage-1", "checkout", "ada", lent_at),
        ("door-1", "return", "ada", lent_at - timedelta(minutes=30)),
    ]
    back = rows[1]
    assert cage.store.items_out() == []  # the loan is over
    [anomaly] = cage.store.attention().anomalies
    assert (anomaly.kind, anomaly.asset, anomaly.event_id) == (
        "return_before_loan",
        "CAM-0001",
        back.id,
    )
    assert "check door-1's clock" in anomaly.detail

    # the dashboard shows the door's clock an hour behind; the cage kiosk's is right
    clocks = cage.store.kiosk_clocks()
    assert abs(clocks["door-1"].offset_s - -3600) < 60
    assert clocks["door-1"].notes() == ["clock 60 min behind"]
    assert clocks["cage-1"].offset_s == 0 and clocks["cage-1"].notes() == []

    seen = state(cage.store)
    assert seen["late"] == [] and seen["holdings"] == []
    cage.clock.advance(49 * 3600)  # past the due time: nothing is overdue
    assert alerter(cage).sweep_once().raised == 0
    assert cage.store.open_alert_ids() == []
    assert cage.store.verify() == []
    for app in (kiosk, door):
        app.wait_replica(WAIT, until=free("CAM-0001"))


# 3. the hub killed mid-burst, kiosks sending again -----------------------------------------
