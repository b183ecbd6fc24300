"""Clock discipline: a kiosk says whether NTP has set its clock, in its status and in its events,
and the hub measures each kiosk's clock against its own from the live status heartbeat (never
from the broker's retained copy, which may be old)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from hub.store.schema import kiosk_status, ledger
from kiosk.app import KioskApp
from tests.fakes.clock_sync import FakeClockSync
from tests.harness import Cage
from tests.kiosk_visits import lend
from tests.mqtt_probe import Probe
from tests.waiting import wait_until
from wire import KioskState, KioskStatus, Topics


def lend_and_send(kiosk: KioskApp, badge: str, label: str) -> None:
    lend(kiosk, badge, label)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)


def said_in_events(cage: Cage) -> list[object]:
    """What each committed event, as the kiosk signed it, said about the clock."""
    with cage.store.engine.connect() as conn:
        payloads = conn.scalars(select(ledger.c.payload).order_by(ledger.c.seq)).all()
    return [json.loads(p).get("clock_synced", "left out") for p in payloads]


def status_on_hub(cage: Cage, kiosk_id: str) -> KioskStatus:
    """The kiosk's last status, as the hub keeps it for the kiosks page."""
    with cage.store.engine.connect() as conn:
        payload = conn.scalar(
            select(kiosk_status.c.payload).where(kiosk_status.c.kiosk == kiosk_id)
        )
    assert payload is not None
    return KioskStatus.model_validate_json(payload)


def test_an_unsynchronised_kiosk_says_so_in_its_status_and_events(cage: Cage) -> None:
    sync = FakeClockSync(False)  # booted offline: fake-hwclock's time, NTP not reached yet
    kiosk = cage.kiosk("cage-1", clock_sync=sync)
    kiosk.wait_replica(10)
    wait_until(lambda: "cage-1" in cage.store.kiosk_clocks(), "the hub never timed the clock")
    status = status_on_hub(cage, "cage-1")
    assert status.clock_synced is False and status.at == cage.clock.now()
    clock = cage.store.kiosk_clocks()["cage-1"]
    assert (clock.offset_s, clock.synced, clock.measured_at) == (0, False, cage.clock.now())
    assert clock.notes() == ["clock not synchronised"]
    lend_and_send(kiosk, "04A1B2C3", "CK1:CAM-0001")
    assert said_in_events(cage) == [False]

    # NTP gets through: the next heartbeat asks again, and the hub hears it at once
    sync.set(True)
    cage.clock.advance(30)
    wait_until(lambda: cage.store.kiosk_clocks()["cage-1"].synced is True, "still unsynced")
    assert cage.store.kiosk_clocks()["cage-1"].measured_at == cage.clock.now()
    assert cage.store.kiosk_clocks()["cage-1"].notes() == []
    lend_and_send(kiosk, "04A1B2C3", "CK1:CAM-0002")
    assert said_in_events(cage) == [False, True]


def test_the_status_heartbeat_keeps_the_measurement_current(cage: Cage) -> None:
    cage.kiosk("cage-1").wait_replica(10)  # no clock source: it cannot tell, and says nothing
    wait_until(lambda: "cage-1" in cage.store.kiosk_clocks(), "the hub never timed the clock")
    assert status_on_hub(cage, "cage-1").clock_synced is None

    def measured_now() -> bool:
        return cage.store.kiosk_clocks()["cage-1"].measured_at == cage.clock.now()

    cage.clock.advance(30)  # the kiosk's status interval
    wait_until(measured_now, "no heartbeat")
    cage.clock.advance(30)
    wait_until(measured_now, "no second heartbeat")
    clock = cage.store.kiosk_clocks()["cage-1"]
    assert (clock.offset_s, clock.synced, clock.notes()) == (0, None, [])


def test_a_retained_status_is_not_taken_for_a_clock_reading(cage: Cage) -> None:
    """A restarted hub gets each kiosk's retained status, made before it went down: measured
    against the hub's time now, it would make every kiosk look behind."""
    cage.register_kiosk("door-1")
    probe = Probe(cage.broker.port, "door-1", cage.kiosk_passwords["door-1"], "door-1-probe")
    topic = Topics().status("door-1")

    def say(at_offset: timedelta) -> None:
        status = KioskStatus(
            kiosk="door-1", state=KioskState.ONLINE, at=cage.clock.now() + at_offset
        )
        probe.publish(topic, status.model_dump_json(exclude_none=True), retain=True)

    def last_seen() -> object:
        return next(k.last_seen for k in cage.store.kiosk_views() if k.id == "door-1")

    try:
        say(timedelta(0))
        wait_until(lambda: "door-1" in cage.store.kiosk_clocks(), "the hub never timed the clock")
        first = cage.store.kiosk_clocks()["door-1"]
        assert first.offset_s == 0

        cage.stop_hub()
        cage.clock.advance(600)
        cage.start_hub()
        wait_until(lambda: last_seen() == cage.clock.now(), "no retained status after the restart")
        assert cage.store.kiosk_clocks()["door-1"] == first

        say(timedelta(minutes=-5))  # the next live status is measured
        wait_until(lambda: cage.store.kiosk_clocks()["door-1"] != first, "not measured")
        clock = cage.store.kiosk_clocks()["door-1"]
        assert (clock.offset_s, clock.measured_at) == (-300, cage.clock.now())
        assert clock.notes() == ["clock 5 min behind"]
    finally:
        probe.close()
