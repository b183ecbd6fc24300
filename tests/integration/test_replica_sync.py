"""Kiosk replicas through the real broker: deltas keep a connected kiosk current, and a kiosk
that was away for a week catches up from the retained snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from kiosk.replica import Replica
from tests.harness import HUB_PASSWORD, Cage
from tests.kiosk_visits import lend
from tests.mqtt_probe import Probe


def test_a_loan_reaches_the_other_kiosk_as_a_delta(cage: Cage) -> None:
    cage.stop_hub()
    hub = cage.start_hub(snapshot_every=3600)  # no periodic full snapshot during the test
    front, back = cage.kiosk("cage-1"), cage.kiosk("cage-2")
    front.wait_replica(10)
    back.wait_replica(10)

    def holder_of(code: str, person: str) -> Callable[[Replica], bool]:
        def held(replica: Replica) -> bool:
            item = replica.item(code)
            return item is not None and item.holder == person

        return held

    # the first change may still go out whole (a kiosk has just come online); the next is a delta
    lend(front, "04A1B2C3", "CK1:CAM-0001")
    back.wait_replica(10, until=holder_of("CAM-0001", "ada"))
    lend(front, "04112233445566", "CK1:LENS-0001")
    now = back.wait_replica(10, until=holder_of("LENS-0001", "grace"))

    probe = Probe(cage.broker.port, "hub", HUB_PASSWORD, "replica-probe")
    probe.subscribe(hub.topics.replica_snapshot())
    (retained,) = probe.wait_for(hub.topics.replica_snapshot())
    assert json.loads(retained.payload)["version"] < now  # the kiosk is ahead of it: by a delta
    probe.close()


def test_a_kiosk_away_for_a_week_catches_up(cage: Cage) -> None:
    cage.stop_hub()
    cage.start_hub(snapshot_every=0.2)
    front, away = cage.kiosk("cage-1"), cage.kiosk("cage-2")
    front.wait_replica(10)
    away.wait_replica(10)
    cage.close_kiosk(away)  # unplugged

    lend(front, "04A1B2C3", "CK1:CAM-0001")
    lend(front, "04112233445566", "CK1:LENS-0001")
    cage.store.add_person("cy", "Cy Young", ["04C0C0C0"])
    cage.store.add_asset("MIC-0001", "Rode NTG", "audio")
    cage.store.revoke_badge("04112233445566")
    assert cage.hub is not None
    cage.hub.republish_replica()
    cage.clock.advance(timedelta(days=7).total_seconds())

    # same data folder: it starts from its week-old replica (looked at before it can connect,
    # or the hub's retained replica may already have replaced it)
    stale = cage.kiosk("cage-2", connect=False)
    assert stale.replica.item("MIC-0001") is None
    cage.close_kiosk(stale)
    back = cage.kiosk("cage-2")

    def current(replica: Replica) -> bool:
        cam, lens = replica.item("CAM-0001"), replica.item("LENS-0001")
        return (
            replica.item("MIC-0001") is not None
            and replica.person_by_badge("04C0C0C0") is not None
            and replica.person_by_badge("04112233445566") is None
            and cam is not None
            and cam.holder == "ada"
            and lens is not None
            and lens.holder == "grace"
        )

    back.wait_replica(10, until=current)
