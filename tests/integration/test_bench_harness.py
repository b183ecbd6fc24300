"""The load benchmarks count right: small runs of bench.ceiling, bench.fanin and bench.scaleout
on real parts (Mosquitto with deploy/'s configuration, hub processes, SQLite and PostgreSQL),
checked against what was sent, so a figure they print is a count of real events."""

from __future__ import annotations

import asyncio

from bench.ceiling import hub_phase, raw_phase
from bench.deployment import deployment
from bench.fanin import fan_in, fifths
from bench.hubproc import PAHO
from bench.scaleout import scale_out

KIOSKS = 20
EVENTS = 20


def test_ceiling_counts_every_message_and_every_committed_ack() -> None:
    with deployment(KIOSKS) as dep:
        ceiling = asyncio.run(raw_phase(dep, EVENTS, "custody"))
        assert (ceiling.sent, ceiling.through, ceiling.distinct) == (400, 400, 400)
        assert ceiling.rate > 0 and ceiling.lost == ceiling.duplicated == 0

        dep.start_hubs(1)
        hub = asyncio.run(hub_phase(dep, EVENTS, "custody", timeout=60))
        assert (hub.sent, hub.through, hub.distinct) == (400, 400, 400)
        assert len(dep.ledger_ids()) == 400
        assert hub.lost == hub.duplicated == 0
        # the hub's threads are told apart by name (CPU time comes in 10 ms ticks, so a short
        # run may charge none to a thread); together they did the work
        assert hub.hub is not None
        assert PAHO in hub.hub.threads and "ingest" in hub.hub.threads
        assert hub.hub.total > 0 and 0 <= hub.hub.share(PAHO) < 1


def test_fan_in_sends_on_schedule_and_finds_every_event_once_in_the_ledger() -> None:
    # every kiosk sends at a random point of each half second for 3 s: exactly 6 events each
    r = fan_in(KIOSKS, seconds=3, interval=0.5, drain=30)
    assert r.sent == KIOSKS * 6
    assert r.committed == r.acked == r.sent
    assert r.lost == r.duplicated == 0 and not r.errors
    assert r.committed_in_time <= r.committed
    assert len(r.ack_latency) == len(r.receipt_latency) == r.sent
    assert all(0 < x < 30 for x in r.ack_latency)
    # every event sent is on the timeline once, in publish order, and each fifth of the run
    # has its own figures: the report says when latency grew, not only that it did
    assert len(r.timeline) == r.sent
    assert [at for at, _ in r.timeline] == sorted(at for at, _ in r.timeline)
    each = fifths(r)
    assert len(each) == 5 and all(0 < med <= p99 < 30 for med, p99 in each)


def test_scale_out_splits_the_events_between_hubs_and_loses_none(
    pg_server: tuple[str, int],
) -> None:
    [runs] = scale_out(pg_server, [2], rounds=1, kiosks=KIOSKS, events=EVENTS, pool=2)
    run = runs[2]
    assert (run.phase.sent, run.phase.through, run.phase.distinct) == (400, 400, 400)
    assert run.phase.lost == run.phase.duplicated == 0
    # each hub committed a share (the ledger says which hub inserted each row)
    assert len(run.per_hub) == 2 and sum(run.per_hub) == 400
    assert all(n > 0 for n in run.per_hub)
    assert run.waits  # the database connections were sampled while the events flowed
