"""Publishes the kiosks' replica: a delta for each round of changes, the whole retained
snapshot now and then.

The replica is read whole once (at start, or when the change log cannot say what changed);
after that each round reads the keys the change log names (hub.store.replica_changes) and the
entries whose time has come (a block ending), patches the kept replica (hub.replica_state) and
sends what differs from the last version sent. So a round costs what changed, not what exists.
The retained snapshot is what a kiosk gets when it (re)subscribes, however long it was away;
deltas keep connected kiosks current without resending the whole registry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from hub.errors import StoreError
from hub.replica import (
    asset_of,
    booking_of,
    build_snapshot,
    holding_of,
    person_expires,
    person_of,
    policy_of,
)
from hub.replica_state import ASSET, BOOKING, HOLDING, PERSON, LiveReplica, bookings_by_asset
from hub.store import Store
from hub.store.replica_changes import POLICY, Cursor, ReplicaSource
from wire import ReplicaPolicy, Topics

log = logging.getLogger(__name__)

# topic, payload, retain -> whether it went to the broker
Publish = Callable[[str, str, bool], bool]


class ReplicaFeed:
    """One publisher per hub process; ``step`` is called from one thread, the other methods from
    any."""

    def __init__(
        self,
        store: Store,
        publish: Publish,
        topics: Topics,
        rules: ReplicaPolicy | None = None,
        snapshot_every: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        keep_changes: float = 60.0,
    ) -> None:
        self.source = ReplicaSource(store)
        self._send = publish
        self._topics = topics
        self._rules = rules or ReplicaPolicy()
        self._snapshot_every = snapshot_every
        self._monotonic = monotonic
        # change rows every publisher should have read after this long; then they are pruned
        self._keep = keep_changes
        self._live: LiveReplica | None = None
        self._cursor = Cursor(0)
        self._read_at: datetime | None = None  # the clock at the last reading
        self._whole = True  # the next version goes out whole (first, rebuilt, reconnected)
        self._version = 0  # the last version sent
        self._at: datetime | None = None
        self._retained = 0  # the version of the last whole snapshot sent
        self._last_whole = 0.0
        self._whole_size = 0  # bytes of the last whole snapshot: a bigger delta goes whole
        self._positions: deque[tuple[float, int]] = deque()  # (monotonic, cursor position)
        self._last_prune = monotonic()
        self._resend = threading.Event()
        # a kiosk came online: it has the retained copy, maybe older than the deltas since
        self.whole_wanted = threading.Event()
        self.rebuilds = 0

    def resend(self) -> None:
        """The broker may have lost the retained copy (a reconnect): send it whole again."""
        self._resend.set()

    def step(self, now: datetime) -> None:
        """Catch up with the store and send what changed."""
        if self._resend.is_set():
            self._resend.clear()
            self._whole = True
        self._catch_up(now)
        self._publish(now)
        self._prune()

    # reading ----------------------------------------------------------------------------------

    def _catch_up(self, now: datetime) -> None:
        if self._live is None or (self._read_at is not None and now < self._read_at):
            self._rebuild(now)  # first, or the clock went back: what expired may be back
            return
        # Kiosk numbers first: the rows read after them reflect at least those events, so a
        # kiosk never drops its own record of an event the replica does not show yet.
        seqs = self.source.kiosk_seqs()
        changes = self.source.changes(self._cursor)
        if changes is None:
            log.warning("replica changes were pruned before this hub read them: rebuilding")
            self._rebuild(now)
            return
        keys = changes.keys
        for kind, due in self._live.expired(now).items():
            keys.setdefault(kind, set()).update(due)
        try:
            self._patch(self._live, keys, now)
        except Exception:
            self._live = None  # half patched: read it whole next round
            raise
        self._live.put_kiosk_seqs(seqs)
        self._cursor, self._read_at = changes.cursor, now

    def _rebuild(self, now: datetime) -> None:
        self.rebuilds += 1
        cursor = self.source.start()
        rows, first_strike = self.source.full(now)
        live = LiveReplica(build_snapshot(rows, 0, now, self._rules))
        for p in rows.people:
            live.expires(
                PERSON, p.id, person_expires(p, first_strike.get(p.id), self.source.term, now)
            )
        for asset, booked in bookings_by_asset(booking_of(b) for b in rows.bookings).items():
            live.expires(BOOKING, asset, min(b.ends for b in booked))
        self._live, self._cursor, self._read_at = live, cursor, now
        self._positions.clear()
        self._whole = True

    def _patch(self, live: LiveReplica, keys: dict[str, set[str]], now: datetime) -> None:
        """Read these keys again and put what they are now."""
        if keys.get(PERSON):
            found = self.source.people(keys[PERSON], now)
            for pid in keys[PERSON]:
                row = found.people.get(pid)
                if row is None:
                    live.put(PERSON, pid, None)
                    live.expires(PERSON, pid, None)
                    continue
                person = person_of(
                    row,
                    found.badges.get(pid, ()),
                    found.trainings.get(pid, {}),
                    found.strikes.get(pid, 0),
                    found.notices.get(pid, []),
                    now,
                )
                live.put(PERSON, pid, person)
                first = found.first_strike.get(pid)
                live.expires(PERSON, pid, person_expires(row, first, self.source.term, now))
        if keys.get(ASSET):
            assets = self.source.assets(keys[ASSET])
            for code in keys[ASSET]:
                live.put(ASSET, code, asset_of(assets[code]) if code in assets else None)
        if keys.get(HOLDING):
            held = self.source.holdings(keys[HOLDING])
            for code in keys[HOLDING]:
                live.put(HOLDING, code, holding_of(held[code]) if code in held else None)
        if keys.get(BOOKING):
            booked = self.source.bookings(keys[BOOKING], now)
            for code in keys[BOOKING]:
                entries = tuple(booking_of(b) for b in booked.get(code, ()))
                live.put(BOOKING, code, entries)
                live.expires(BOOKING, code, min((b.ends for b in entries), default=None))
        if keys.get(POLICY):
            loans, requires, groups = self.source.categories()
            live.put_policy(policy_of(loans, requires, self._rules, groups))

    # sending ----------------------------------------------------------------------------------

    def _publish(self, now: datetime) -> None:
        live = self._live
        assert live is not None
        version = max(self._version + 1, int(now.timestamp() * 1000))
        if self._whole:
            if self._send_whole(live, version, now):
                self._sent(live, version, now)
            return
        delta = live.delta(self._version, version, now)
        if delta is None:
            live.published()  # what was written came back to what was sent
            if self._retained >= self._version:
                self.whole_wanted.clear()  # the retained copy is current: nothing to refresh
            elif self._whole_due() and self._at is not None:
                self._send_whole(live, self._version, self._at)
            return
        body = delta.model_dump_json()
        if self._whole_due() or len(body) * 2 > self._whole_size:
            sent = self._send_whole(live, version, now)  # due, or most of it changed
        else:
            sent = self._send(self._topics.replica_delta(), body, False)
        if sent:
            self._sent(live, version, now)

    def _sent(self, live: LiveReplica, version: int, now: datetime) -> None:
        self._version, self._at, self._whole = version, now, False
        live.published()

    def _whole_due(self) -> bool:
        if self.whole_wanted.is_set():
            return True
        return self._monotonic() - self._last_whole >= self._snapshot_every

    def _send_whole(self, live: LiveReplica, version: int, at: datetime) -> bool:
        body = live.snapshot_json(version, at)
        if not self._send(self._topics.replica_snapshot(), body, True):
            return False
        self.whole_wanted.clear()
        self._retained = version
        self._last_whole = self._monotonic()
        self._whole_size = len(body)
        return True

    # pruning ----------------------------------------------------------------------------------

    def _prune(self) -> None:
        """Drop change rows this publisher read over ``keep_changes`` seconds ago: any other
        publisher reading every second has read them too (one that has not rebuilds)."""
        mono = self._monotonic()
        positions = self._positions
        if not positions or positions[-1][1] != self._cursor.position:
            positions.append((mono, self._cursor.position))
        if mono - self._last_prune < min(10.0, self._keep):
            return
        below = None
        while positions and positions[0][0] <= mono - self._keep:
            below = positions.popleft()[1]
        if below is None:
            return
        self._last_prune = mono
        try:
            self.source.prune(below)
        except StoreError as exc:  # busy: the next round tries again
            log.info("could not prune replica changes: %s", exc)
