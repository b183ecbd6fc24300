"""A hub killed mid-burst, end to end: real kiosk apps and Mosquitto, hubs in their own
processes on the cage's SQLite store. The first hub is killed (SIGKILL) after committing a
checkout and before acknowledging it; the kiosks carry on offline; a new hub takes every
unacknowledged event again. Every event is in the ledger exactly once, each kiosk's numbered
without a gap, and custody is what the kiosks did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.screens import IdleScreen, LineAction
from kiosk.session import Profile
from tests.fakes.hub_process import HubProcess
from tests.harness import HUB_PASSWORD, Cage
from tests.histories import state
from tests.kiosk_visits import (
    ADA,
    GRACE,
    WAIT,
    drained,
    free,
    held_by,
    offline,
    online,
    receipt,
    visit,
)


@pytest.fixture
def hub_process(cage: Cage, tmp_path: Path) -> Iterator[Callable[[timedelta], HubProcess]]:
    """Hubs in their own processes (the in-process hub is stopped first), each on a clock that
    stands at the cage's start plus the given offset; all stopped at teardown."""
    cage.stop_hub()
    started: list[HubProcess] = []
    url = cage.store.engine.url.render_as_string(hide_password=False)
    start = cage.clock.now()

    def run(at: timedelta) -> HubProcess:
        hub = HubProcess(url, cage.broker.port, HUB_PASSWORD, start + at, tmp_path / "hub.log")
        started.append(hub)
        hub.start()
        return hub

    try:
        yield run
    finally:
        for hub in started:
            hub.stop()


def test_a_hub_killed_mid_burst_loses_and_doubles_nothing(
    cage: Cage, hub_process: Callable[[timedelta], HubProcess]
) -> None:
    for kiosk_id in ("cage-1", "cage-2", "door-1"):
        cage.register_kiosk(kiosk_id)  # before the hub process reads the registry
    first = hub_process(timedelta(hours=1))  # its clock ahead of every event in the burst
    one, two = cage.kiosk("cage-1"), cage.kiosk("cage-2")
    door = cage.kiosk("door-1", profile=Profile.STATION)
    kiosks = (one, two, door)
    for app in kiosks:
        app.wait_replica(WAIT)
        online(app)
    expected: dict[str, list[tuple[str, str]]] = {"cage-1": [], "cage-2": [], "door-1": []}

    def lend_and_return(round_: int) -> None:
        """Each cage kiosk lends its camera and takes it back a minute later (its own events
        keep its offline view right while the hub is away)."""
        visit(one, ADA, "CK1:CAM-0001")
        visit(two, GRACE, "CK1:CAM-0002")
        for app in (one, two):
            receipt(app)
        cage.clock.advance(60)
        visit(one, ADA, "CK1:CAM-0001")
        visit(two, GRACE, "CK1:CAM-0002")
        for app, code in ((one, "CAM-0001"), (two, "CAM-0002")):
            [line] = receipt(app).lines
            assert (line.code, line.action) == (code, LineAction.RETURN), round_
            expected[app.settings.kiosk_id] += [("checkout", code), ("return", code)]
        cage.clock.advance(60)

    # round 0, the hub up: Ada also takes the lens, to bring back at the door later
    visit(one, ADA, "CK1:LENS-0001")
    receipt(one)
    expected["cage-1"].append(("checkout", "LENS-0001"))
    cage.clock.advance(60)
    lend_and_return(0)
    for app in kiosks:
        drained(app)
    door.wait_replica(WAIT, until=held_by("LENS-0001", "ada"))

    # round 1: the hub commits the first of the round's checkouts, then is killed (SIGKILL)
    # before it can acknowledge them: in the ledger, and still in the kiosks' outboxes
    committed = len(cage.store.ledger_rows())
    first.stall_next_commit()
    visit(one, ADA, "CK1:CAM-0001")
    visit(two, GRACE, "CK1:CAM-0002")
    first.wait_stalled()
    first.kill()
    assert len(cage.store.ledger_rows()) > committed  # the commit is durable
    for app, code in ((one, "CAM-0001"), (two, "CAM-0002")):
        [line] = receipt(app).lines
        assert (line.code, line.action) == (code, LineAction.CHECKOUT)
        seq = len(expected[app.settings.kiosk_id]) + 1
        assert seq in app.outbox.pending_seqs(), f"{code} was acknowledged by a dead hub"
        expected[app.settings.kiosk_id].append(("checkout", code))
    for app in kiosks:
        offline(app)  # the broker published the dead hub's will
    cage.clock.advance(60)
    visit(one, ADA, "CK1:CAM-0001")
    visit(two, GRACE, "CK1:CAM-0002")
    for app, code in ((one, "CAM-0001"), (two, "CAM-0002")):
        shown = receipt(app)
        assert shown.offline and [(ln.code, ln.action) for ln in shown.lines] == [
            (code, LineAction.RETURN)
        ]
        expected[app.settings.kiosk_id].append(("return", code))
    cage.clock.advance(60)

    # round 2, no hub: the kiosks carry on, and the lens comes back at the door
    lend_and_return(2)
    door.submit(door.label("CK1:LENS-0001"))
    door.wait_for_screen(
        lambda s: isinstance(s, IdleScreen) and s.message == "Returned: Zeiss 50mm lens", WAIT
    )
    expected["door-1"].append(("return", "LENS-0001"))
    cage.clock.advance(60)
    assert all(app.outbox.depth() > 0 for app in kiosks), "events sent while the hub was away"

    # a new hub process; the kiosks send everything unacknowledged again, while round 3 goes on
    hub_process(timedelta(hours=2))
    lend_and_return(3)
    visit(one, ADA, "CK1:CAM-0001")  # and Ada keeps the camera this time
    receipt(one)
    expected["cage-1"].append(("checkout", "CAM-0001"))
    for app in kiosks:
        online(app)
        drained(app)
        assert app.outbox.dead_letters() == []

    # every event exactly once, each kiosk's numbered 1..n without a gap
    rows = cage.store.ledger_rows()
    for kiosk_id, events in expected.items():
        mine = [r for r in rows if r.kiosk == kiosk_id]
        assert [r.seq for r in mine] == list(range(1, len(events) + 1)), kiosk_id
        assert [(r.type, r.asset) for r in mine] == events, kiosk_id
    assert len({r.id for r in rows}) == len(rows) == sum(map(len, expected.values()))

    # nothing returned is out; only the camera Ada kept
    assert [(i.asset, i.person) for i in cage.store.items_out()] == [("CAM-0001", "ada")]
    assert cage.store.attention().anomalies == []
    assert state(cage.store)["late"] == []
    assert cage.store.verify() == []
    for app in kiosks:
        app.wait_replica(WAIT, until=lambda r: free("CAM-0002")(r) and free("LENS-0001")(r))
        app.wait_replica(WAIT, until=held_by("CAM-0001", "ada"))
