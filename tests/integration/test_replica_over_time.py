"""The replica as time passes and hubs come and go: a block ending, a strike leaving the
term and a booking ending reach the kiosk with no write to cause them; versions keep growing
across a restart; a hub that missed pruned changes reads the replica whole, and is right."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hub.replica import build_snapshot
from hub.replica_feed import ReplicaFeed
from tests.integration.test_replica_incremental import (
    ASSETS,
    RULES,
    STRIKES,
    TOPICS,
    Kiosk,
    world,
)


def test_a_block_ending_reaches_the_kiosk_without_any_write(tmp_path: Path) -> None:
    with world(f"sqlite:///{tmp_path / 'hub.db'}") as w:
        w.check()
        w.cli.block_person("ada", w.now + timedelta(hours=2), "late again", w.now, "manager")
        w.check()
        before = len(w.kiosk.versions)
        w.clock[0] += timedelta(hours=2)
        w.check()
        assert len(w.kiosk.versions) == before + 1  # a delta that lifts the block
        assert w.kiosk.replica is not None
        ada = next(p for p in w.kiosk.replica.people if p.id == "ada")
        assert ada.blocked_until is None


def test_a_strike_leaving_the_term_and_a_booking_ending_reach_the_kiosk(tmp_path: Path) -> None:
    with world(f"sqlite:///{tmp_path / 'hub.db'}") as w:
        w.lenders["cage-1"].checkout("CAM-01", "bo", w.now, hours=1)
        w.cli.add_booking("LENS-01", "cy", w.now, w.now + timedelta(hours=5), w.now)
        w.clock[0] += timedelta(hours=3)
        w.lenders["cage-1"].give_back("CAM-01", "bo", w.now)  # two hours late: a strike
        w.check()
        assert w.kiosk.replica is not None
        assert [p.strikes for p in w.kiosk.replica.people if p.id == "bo"] == [1]
        assert [b.asset for b in w.kiosk.replica.bookings] == ["LENS-01"]
        w.clock[0] += timedelta(hours=3)
        w.check()  # the booking has ended
        assert w.kiosk.replica.bookings == []
        w.clock[0] += STRIKES.term
        w.check()  # the strike has left the term
        assert [p.strikes for p in w.kiosk.replica.people if p.id == "bo"] == [0]


def test_versions_keep_growing_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    with world(url) as w:
        w.check()
        first = w.kiosk.versions[-1]
        again = ReplicaFeed(w.hub, w.kiosk.take, TOPICS, RULES)
        w.clock[0] += timedelta(seconds=1)  # versions are the wall clock's milliseconds
        again.step(w.now)
        assert w.kiosk.versions[-1] > first


def test_a_hub_behind_the_pruned_changes_reads_the_replica_whole(tmp_path: Path) -> None:
    """Another hub prunes what it has read; one that had not read it rebuilds, and is right."""
    mono = [0.0]
    with world(f"sqlite:///{tmp_path / 'hub.db'}", monotonic=lambda: mono[0]) as w:
        other = Kiosk()
        behind = ReplicaFeed(w.hub, other.take, TOPICS, RULES, 3600)
        behind.step(w.now)
        w.check()
        for code in ASSETS[:5]:
            w.lenders["cage-1"].checkout(code, "ada", w.now)
            mono[0] += 30
            w.check()
        mono[0] += 120
        w.check()  # prunes what it read over a minute ago
        assert behind.source.changes(behind._cursor) is None
        behind.step(w.now)
        assert behind.rebuilds == 2
        whole = build_snapshot(w.hub.replica_rows(w.now), 0, w.now, RULES)
        assert other.replica is not None
        assert other.replica.model_copy(update={"version": 0, "at": w.now}) == whole
