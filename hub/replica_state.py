"""The replica kept current from changes, so the hub never rebuilds it whole while events flow.

Pure: entries are put in by key as the publisher re-reads them, and the state remembers what
each changed entry was at the last published version, so the delta from that version costs
what changed, not what exists. It also knows when time alone changes an entry (a block ends, a
strike leaves the term, a booking ends), since no write announces that.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from wire import (
    ReplicaBooking,
    ReplicaDelta,
    ReplicaPolicy,
    ReplicaSnapshot,
)

PERSON, ASSET, HOLDING, BOOKING = "person", "asset", "holding", "booking"


class LiveReplica:
    """Entries by kind and key (bookings: an asset's tuple of them), policy and kiosk numbers."""

    def __init__(self, snapshot: ReplicaSnapshot) -> None:
        self._entries: dict[str, dict[str, Any]] = {
            PERSON: {p.id: p for p in snapshot.people},
            ASSET: {a.code: a for a in snapshot.assets},
            HOLDING: {h.asset: h for h in snapshot.holdings},
            BOOKING: bookings_by_asset(snapshot.bookings),
        }
        self.policy = snapshot.policy
        self.kiosk_seqs = dict(snapshot.kiosk_seqs)
        # what changed entries were at the last published version (None: not there)
        self._before: dict[str, dict[str, Any]] = {kind: {} for kind in self._entries}
        self._policy_before: ReplicaPolicy | None = None
        self._seqs_before: dict[str, int | None] = {}
        self._expiry: dict[tuple[str, str], datetime] = {}
        self._heap: list[tuple[datetime, str, str]] = []
        # each entry's JSON, made when a whole snapshot is next made after the entry was put:
        # a whole snapshot is then a join, not the encoding of every entry again
        self._json: dict[str, dict[str, str]] = {kind: {} for kind in self._entries}
        self._unencoded: dict[str, set[str]] = {k: set(v) for k, v in self._entries.items()}

    # changes --------------------------------------------------------------------------------

    def put(
        self, kind: str, key: str, value: BaseModel | tuple[ReplicaBooking, ...] | None
    ) -> None:
        """The entry for ``key`` is now ``value`` (None or an empty tuple: there is none)."""
        entries = self._entries[kind]
        old = entries.get(key)
        if key not in self._before[kind]:
            self._before[kind][key] = old
        self._json[kind].pop(key, None)
        if value is None or (isinstance(value, tuple) and not value):
            entries.pop(key, None)
            self._unencoded[kind].discard(key)
        else:
            entries[key] = value
            self._unencoded[kind].add(key)

    def put_policy(self, policy: ReplicaPolicy) -> None:
        if self._policy_before is None:
            self._policy_before = self.policy
        self.policy = policy

    def put_kiosk_seqs(self, seqs: Mapping[str, int]) -> None:
        for kiosk, seq in seqs.items():
            old = self.kiosk_seqs.get(kiosk)
            if old != seq:
                self._seqs_before.setdefault(kiosk, old)
                self.kiosk_seqs[kiosk] = seq

    # time -----------------------------------------------------------------------------------

    def expires(self, kind: str, key: str, when: datetime | None) -> None:
        """Time alone changes this entry at ``when`` (None: it does not)."""
        if when is None:
            self._expiry.pop((kind, key), None)
        elif self._expiry.get((kind, key)) != when:
            self._expiry[(kind, key)] = when
            heapq.heappush(self._heap, (when, kind, key))

    def expired(self, now: datetime) -> dict[str, set[str]]:
        """The entries time has changed by ``now``: to read again (each is forgotten here; the
        reading says when it next changes)."""
        due: dict[str, set[str]] = {}
        while self._heap and self._heap[0][0] <= now:
            when, kind, key = heapq.heappop(self._heap)
            if self._expiry.get((kind, key)) == when:  # else superseded by a later reading
                del self._expiry[(kind, key)]
                due.setdefault(kind, set()).add(key)
        return due

    # publishing -----------------------------------------------------------------------------

    def delta(self, base: int, version: int, at: datetime) -> ReplicaDelta | None:
        """What changed since the version last published (``base``), as the delta to
        ``version``; None if nothing did (written, then put back, counts as nothing)."""
        changed: dict[str, list[Any]] = {}
        removed: dict[str, list[str]] = {}
        for kind in (PERSON, ASSET, HOLDING):
            entries = self._entries[kind]
            before = self._before[kind]
            changed[kind] = [
                entries[k] for k in sorted(before) if k in entries and entries[k] != before[k]
            ]
            removed[kind] = [
                k for k in sorted(before) if k not in entries and before[k] is not None
            ]
        bookings = {
            k: list(self._entries[BOOKING].get(k, ()))
            for k, old in sorted(self._before[BOOKING].items())
            if self._entries[BOOKING].get(k, ()) != (old or ())
        }
        policy = (
            self.policy
            if self._policy_before is not None and self.policy != self._policy_before
            else None
        )
        seqs = {
            k: self.kiosk_seqs[k]
            for k, old in sorted(self._seqs_before.items())
            if self.kiosk_seqs.get(k) != old
        }
        if not (any(changed.values()) or any(removed.values()) or bookings or policy or seqs):
            return None
        return ReplicaDelta(
            base=base,
            version=version,
            at=at,
            people=changed[PERSON],
            people_removed=removed[PERSON],
            assets=changed[ASSET],
            assets_removed=removed[ASSET],
            holdings=changed[HOLDING],
            holdings_removed=removed[HOLDING],
            bookings=bookings,
            policy=policy,
            kiosk_seqs=seqs,
        )

    def published(self) -> None:
        """The current state went out (or nothing changed): later deltas start from here."""
        for before in self._before.values():
            before.clear()
        self._policy_before = None
        self._seqs_before.clear()

    def snapshot(self, version: int, at: datetime) -> ReplicaSnapshot:
        """The whole replica, sorted by key as a kiosk applying deltas sorts it."""
        people, assets, held, booked = (self._entries[k] for k in (PERSON, ASSET, HOLDING, BOOKING))
        return ReplicaSnapshot.model_construct(
            version=version,
            at=at,
            people=[people[k] for k in sorted(people)],
            assets=[assets[k] for k in sorted(assets)],
            holdings=[held[k] for k in sorted(held)],
            bookings=[b for k in sorted(booked) for b in booked[k]],
            policy=self.policy,
            kiosk_seqs=dict(self.kiosk_seqs),
        )

    def snapshot_json(self, version: int, at: datetime) -> str:
        """``snapshot(version, at).model_dump_json()``, made from the entries' JSON."""
        frame = ReplicaSnapshot.model_construct(
            version=version,
            at=at,
            people=[],
            assets=[],
            holdings=[],
            bookings=[],
            policy=self.policy,
            kiosk_seqs=dict(self.kiosk_seqs),
        ).model_dump_json()
        if _EMPTY not in frame:
            raise ValueError("the snapshot's JSON changed shape: update LiveReplica")
        for kind, keys in self._unencoded.items():
            for key in keys:
                self._json[kind][key] = _encoded(self._entries[kind][key])
            keys.clear()
        parts = []
        for name, kind in (
            ("people", PERSON),
            ("assets", ASSET),
            ("holdings", HOLDING),
            ("bookings", BOOKING),
        ):
            encoded = self._json[kind]
            parts.append(f'"{name}":[{",".join(encoded[k] for k in sorted(encoded))}]')
        return frame.replace(_EMPTY, ",".join(parts), 1)

    def count(self, kind: str) -> int:
        return len(self._entries[kind])


# the lists of a snapshot with none, in field order (the policy and kiosk numbers come after)
_EMPTY = '"people":[],"assets":[],"holdings":[],"bookings":[]'


def _encoded(value: BaseModel | tuple[ReplicaBooking, ...]) -> str:
    if isinstance(value, tuple):
        return ",".join(b.model_dump_json() for b in value)
    return value.model_dump_json()


def bookings_by_asset(
    rows: Iterable[ReplicaBooking],
) -> dict[str, tuple[ReplicaBooking, ...]]:
    by_asset: dict[str, tuple[ReplicaBooking, ...]] = {}
    for b in rows:
        by_asset[b.asset] = (*by_asset.get(b.asset, ()), b)
    return by_asset
