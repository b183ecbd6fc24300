"""The replica kept from changes is always the replica rebuilt whole.

Random histories go through the store's real write paths (registry edits from a second store
on the same file, as the CLI is another process; kiosk events committed by ingest; blocks,
bans, strikes and bookings that end as the injected clock moves on; the overdue sweeper's
notices). After each publishing round, a kiosk's replica made only from what was published
(the retained snapshot, then deltas) must equal ``build_snapshot`` of ``Store.replica_rows``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.alerts.dispatch import Alerter
from hub.domain import lifecycle
from hub.domain.strikes import StrikeRules
from hub.errors import AlreadyExists, BookingConflict, NotFound
from hub.replica import build_snapshot
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from tests.events import KioskFeed
from wire import ReplicaDelta, ReplicaPolicy, ReplicaSnapshot, Topics
from wire.replica_delta import apply_delta

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TOPICS = Topics("cagekeeper")
RULES = ReplicaPolicy(max_items=3)
# short enough that strikes leave the term and bans end within a generated history
STRIKES = StrikeRules(
    grace=timedelta(minutes=15), limit=2, term=timedelta(days=1), ban=timedelta(hours=20)
)
PEOPLE = ["ada", "bo", "cy", "dee"]
ASSETS = [f"CAM-{n:02d}" for n in range(12)] + [f"LENS-{n:02d}" for n in range(12)]
CATEGORIES = ["camera", "lens", "audio"]
# 25 histories in the suite; CAGEKEEPER_EXAMPLES=1000 (and --timeout 0) for a long hunt
EXAMPLES = int(os.environ.get("CAGEKEEPER_EXAMPLES", "25"))
_copies = itertools.count()


class Kiosk:
    """What a kiosk holds, made only from what the feed published."""

    def __init__(self) -> None:
        self.replica: ReplicaSnapshot | None = None
        self.versions: list[int] = []

    def take(self, topic: str, payload: str, retain: bool) -> bool:
        if topic == TOPICS.replica_snapshot():
            assert retain
            snap = ReplicaSnapshot.model_validate_json(payload)
            self.replica = snap
        else:
            assert topic == TOPICS.replica_delta() and not retain
            delta = ReplicaDelta.model_validate_json(payload)
            assert self.replica is not None
            self.replica = apply_delta(self.replica, delta)  # raises if it is not for this version
        assert not self.versions or self.replica.version >= self.versions[-1]
        self.versions.append(self.replica.version)
        return True


@dataclass
class World:
    hub: Store  # ingest's store
    cli: Store  # another process's store on the same database
    clock: list[datetime]
    feed: ReplicaFeed
    kiosk: Kiosk
    lenders: dict[str, KioskFeed] = field(default_factory=dict)
    bookings: list[int] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    added: int = 0

    @property
    def now(self) -> datetime:
        return self.clock[0]

    def check(self) -> None:
        """One publishing round, then the kiosk's replica is the replica rebuilt whole."""
        self.feed.step(self.now)
        whole = build_snapshot(self.hub.replica_rows(self.now), 0, self.now, RULES)
        assert self.kiosk.replica is not None
        kept = self.kiosk.replica.model_copy(update={"version": 0, "at": self.now})
        assert kept == whole


def seed(url: str) -> None:
    """The registry every history starts from (migrated on the way)."""
    store = Store.open(url, strikes=STRIKES, now=T0)
    for n, pid in enumerate(PEOPLE):
        store.add_person(pid, pid.title(), [f"04A1B2{n:02X}"])
    for code in ASSETS:
        store.add_asset(code, code.title(), "camera" if code.startswith("CAM") else "lens")
    store.add_kiosk("cage-1", "Cage", T0 - timedelta(days=1))
    store.add_kiosk("door-1", "Door", T0 - timedelta(days=1))
    store.close()


@contextmanager
def world(url: str, *, seeded: bool = False, **feed: Any) -> Iterator[World]:
    if not seeded:
        seed(url)
    hub = Store.open(url, upgrade=False, strikes=STRIKES)
    cli = Store.open(url, upgrade=False, strikes=STRIKES)
    kiosk = Kiosk()
    clock = [T0]
    w = World(hub, cli, clock, ReplicaFeed(hub, kiosk.take, TOPICS, RULES, 3600, **feed), kiosk)
    w.lenders = {k: KioskFeed(hub, k) for k in ("cage-1", "door-1")}
    w.badges = [f"04A1B2{n:02X}" for n in range(len(PEOPLE))]
    try:
        yield w
    finally:
        cli.close()
        hub.close()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A seeded SQLite file each generated history starts from a copy of."""
    path = tmp_path / "template.db"
    seed(f"sqlite:///{path}")
    return path


# what a history is made of ------------------------------------------------------------------

people = st.sampled_from(PEOPLE)
assets = st.sampled_from(ASSETS)
hours = st.integers(min_value=1, max_value=60)
Step = Callable[[World], None]


def _lend(asset: str, person: str, h: int, kiosk: str) -> Step:
    def run(w: World) -> None:
        w.lenders[kiosk].checkout(asset, person, w.now, hours=h)

    return run


def _give_back(n: int, kiosk: str) -> Step:
    """The n-th item out comes back (by its holder)."""

    def run(w: World) -> None:
        out = w.hub.replica_rows(w.now).holdings
        if out:
            held = out[n % len(out)]
            w.lenders[kiosk].give_back(held.asset, held.person, w.now)

    return run


def _extend(asset: str, person: str, h: int) -> Step:
    def run(w: World) -> None:
        w.lenders["cage-1"].extend(asset, person, w.now, w.now + timedelta(hours=h))

    return run


def _wait(minutes: int) -> Step:
    """Time passes, and the hub publishes meanwhile, as it does every second."""

    def run(w: World) -> None:
        w.clock[0] += timedelta(minutes=minutes)
        w.check()

    return run


def _block(person: str, h: int | None) -> Step:
    def run(w: World) -> None:
        if h is None:
            w.cli.unblock_person(person, w.now, "manager")
        else:
            w.cli.block_person(person, w.now + timedelta(hours=h), "late again", w.now, "manager")

    return run


def _enrol(person: str) -> Step:
    def run(w: World) -> None:
        w.added += 1
        uid = f"0B{w.added:06X}"
        w.cli.add_badge(person, uid)
        w.badges.append(uid)

    return run


def _revoke(n: int) -> Step:
    def run(w: World) -> None:
        w.cli.revoke_badge(w.badges[n % len(w.badges)])

    return run


def _register(category: str) -> Step:
    def run(w: World) -> None:
        w.added += 1
        w.cli.add_asset(f"NEW-{w.added:03d}", f"New {w.added}", category)
        w.cli.add_person(f"p{w.added}", f"Person {w.added}", [f"0C{w.added:06X}"])

    return run


def _lifecycle(asset: str, action: lifecycle.Action) -> Step:
    def run(w: World) -> None:
        w.cli.move_asset(asset, action, w.now, "manager", reason="sold")

    return run


def _rename(asset: str, category: str) -> Step:
    def run(w: World) -> None:
        w.cli.update_asset(asset, w.now, "manager", name=f"{asset} renamed", category=category)

    return run


def _book(asset: str, person: str, start: int, length: int) -> Step:
    def run(w: World) -> None:
        starts = w.now + timedelta(hours=start)
        w.bookings.append(
            w.cli.add_booking(asset, person, starts, starts + timedelta(hours=length), w.now)
        )

    return run


def _cancel(n: int) -> Step:
    def run(w: World) -> None:
        if w.bookings:
            w.cli.cancel_booking(w.bookings[n % len(w.bookings)])

    return run


def _policy(category: str, h: int, training: str | None) -> Step:
    def run(w: World) -> None:
        w.cli.set_loan_hours(category, h)
        w.cli.require_training(category, training)

    return run


def _train(person: str, training: str, days: int | None) -> Step:
    def run(w: World) -> None:
        expires = w.now + timedelta(days=days) if days is not None else None
        w.cli.grant_training(person, training, expires)

    return run


def _sweep(w: World) -> None:
    Alerter(w.cli, lambda: w.now).sweep_once()


def _publish(w: World) -> None:
    w.check()


kiosks = st.sampled_from(["cage-1", "door-1"])
writes = st.one_of(
    st.builds(_lend, assets, people, hours, kiosks),
    st.builds(_give_back, st.integers(min_value=0, max_value=50), kiosks),
    st.builds(_extend, assets, people, hours),
    st.builds(_block, people, st.one_of(st.none(), hours)),
    st.builds(_block, people, hours),
    st.builds(_enrol, people),
    st.builds(_revoke, st.integers(min_value=0, max_value=50)),
    st.builds(_register, st.sampled_from(CATEGORIES)),
    st.builds(
        _lifecycle,
        assets,
        st.sampled_from(
            [
                lifecycle.Action.MAINTENANCE,
                lifecycle.Action.RETURN_TO_SERVICE,
                lifecycle.Action.RETIRE,
            ]
        ),
    ),
    st.builds(_rename, assets, st.sampled_from(CATEGORIES)),
    st.builds(_book, assets, people, st.integers(min_value=-2, max_value=30), hours),
    st.builds(_cancel, st.integers(min_value=0, max_value=50)),
    st.builds(_policy, st.sampled_from(CATEGORIES), hours, st.sampled_from([None, "safety"])),
    st.builds(_train, people, st.sampled_from(["safety", "rig"]), st.one_of(st.none(), hours)),
    st.just(_sweep),
    st.just(_publish),
)
# a third of the steps let time pass (with a publishing round), so blocks, bans, strikes and
# bookings that were published end later with no write
waits = st.builds(
    _wait,
    st.one_of(
        st.integers(min_value=1, max_value=90),
        st.integers(min_value=1, max_value=24 * 60),
        st.integers(min_value=1, max_value=3 * 24 * 60),
    ),
)
steps = st.tuples(st.integers(min_value=0, max_value=2), writes, waits).map(
    lambda c: c[2] if c[0] == 0 else c[1]
)


def play(w: World, history: list[Step]) -> None:
    w.check()
    for step in history:
        with suppress(
            NotFound, AlreadyExists, BookingConflict, ValueError
        ):  # refused as the store refuses it: no change
            step(w)
    w.check()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=10, max_size=40))
def test_the_kept_replica_is_the_replica_rebuilt_whole(template: Path, history: list[Step]) -> None:
    copy = template.with_name(f"hub-{next(_copies)}.db")
    shutil.copyfile(template, copy)
    with world(f"sqlite:///{copy}", seeded=True) as w:
        play(w, history)
        assert w.feed.rebuilds == 1  # the whole replica was read once, at the start
    copy.unlink()
