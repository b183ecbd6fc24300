"""The kiosk's local replica of hub state, so it decides offline.

It keeps the newest retained snapshot from the hub plus the kiosk's own events that the snapshot
does not yet reflect (an overlay), so an item lent here offline is known to be out.

Readers (the session thread resolving a badge or a label, tests, the status) never see a change
half-made: what they read is a ``ReplicaView``, an immutable value built whole and swapped in by
one assignment, under the writers' lock, whenever a snapshot, a delta or one of our own events
arrives. A reader that takes ``view()`` once gets one consistent replica for everything it asks.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from kiosk.errors import KioskError
from kiosk.screens import Reservation
from rules.lending import Booking, Item, Person
from wire import (
    CustodyEvent,
    EventType,
    ReplicaDelta,
    ReplicaPerson,
    ReplicaPolicy,
    ReplicaSnapshot,
    ReturnCondition,
    WireError,
)
from wire.codec import load_object
from wire.pins import usable
from wire.replica_delta import apply_delta

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS overlay (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, asset TEXT NOT NULL, person TEXT, due TEXT,
    condition TEXT
);
"""
_PROBLEMS = (ReturnCondition.DAMAGED.value, ReturnCondition.MISSING_PART.value)


@dataclass(frozen=True)
class Held:
    """Who holds an item, until when, and how often the loan was extended."""

    person: str
    due: datetime
    renewals: int = 0


@dataclass(frozen=True)
class ReplicaView:
    """One whole state of the replica: the hub's snapshot with this kiosk's unacknowledged
    events on top. Never changed once made (read-only mappings), so any thread may read it."""

    snapshot: ReplicaSnapshot | None = None
    badges: Mapping[str, Person] = field(default_factory=lambda: MappingProxyType({}))
    assets: Mapping[str, Item] = field(default_factory=lambda: MappingProxyType({}))
    holders: Mapping[str, Held] = field(default_factory=lambda: MappingProxyType({}))
    bookings: Mapping[str, tuple[Booking, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    kits: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    repairs: frozenset[str] = frozenset()  # returned damaged here, not yet in a snapshot

    @property
    def ready(self) -> bool:
        """Whether this is a replica from the hub at all (a kiosk's first start has none)."""
        return self.snapshot is not None

    @property
    def version(self) -> int:
        return self.snapshot.version if self.snapshot else 0

    @property
    def policy(self) -> ReplicaPolicy:
        return self.snapshot.policy if self.snapshot else ReplicaPolicy()

    def person_by_badge(self, uid: str) -> Person | None:
        return self.badges.get(uid.upper())

    def item(self, code: str) -> Item | None:
        base = self.assets.get(code)
        if base is None:
            return None
        members = tuple(
            piece for m in self.kits.get(code, ()) if (piece := self._bare_item(m)) is not None
        )
        return replace(self._bare_item(code) or base, members=members)

    def _bare_item(self, code: str) -> Item | None:
        base = self.assets.get(code)
        if base is None:
            return None
        held = self.holders.get(code)
        kit = self.kit_of(code)
        # a piece goes out with its kit, so whoever booked the kit has booked the piece too
        kit_bookings = self.bookings.get(kit, ()) if kit is not None and kit != code else ()
        return replace(
            base,
            holder=held.person if held else None,
            bookings=(*self.bookings.get(code, ()), *kit_bookings),
            in_maintenance=base.in_maintenance or code in self.repairs,
        )

    def kit_of(self, code: str) -> str | None:
        """The kit an asset goes out and comes back with: its own code for a kit, the kit's
        for one of its pieces, None for a loose item."""
        if code in self.kits:
            return code
        return next((kit for kit, pieces in self.kits.items() if code in pieces), None)

    def reservations_of(self, person_id: str) -> tuple[Reservation, ...]:
        """What a person has booked and not yet seen end, as far as this kiosk knows, soonest
        first (the session decides which are theirs to pick up now). A kit reserved whole is
        one reservation: its pieces' bookings go with it."""
        found = [
            Reservation(code, item.name, b.starts, b.ends)
            for code, booked in self.bookings.items()
            if (item := self.assets.get(code)) is not None
            for b in booked
            if b.person == person_id
        ]
        whole = {(r.code, r.starts, r.ends) for r in found if r.code in self.kits}
        found = [
            r
            for r in found
            if r.code in self.kits or (self.kit_of(r.code), r.starts, r.ends) not in whole
        ]
        return tuple(sorted(found, key=lambda r: (r.starts, r.code)))

    def loans_of(self, person_id: str) -> list[tuple[Item, Held]]:
        """What a person holds, as far as this kiosk knows, soonest due first."""
        loans = []
        for code, held in self.holders.items():
            item = self.assets.get(code)
            if held.person == person_id and item is not None:
                loans.append((item, held))
        return sorted(loans, key=lambda loan: (loan[1].due, loan[0].code))


_OverlayRow = tuple[str, str, str | None, str | None, str | None]  # type, asset, person, due, cond


def _from_snapshot(snap: ReplicaSnapshot, overlay: list[_OverlayRow]) -> ReplicaView:
    people = {
        p.id: Person(
            p.id,
            p.name,
            p.staff,
            tuple(sorted(p.trainings.items())),
            p.blocked_until,
            p.blocked_reason,
            p.strikes,
            tuple(p.notices),
            pin=_door_pin(p),
            groups=frozenset(p.groups),
        )
        for p in snap.people
        if p.active
    }
    badges = {uid: people[p.id] for p in snap.people if p.active for uid in p.badges}
    assets = {
        a.code: Item(a.code, a.name, a.category, a.lendable, in_maintenance=a.in_maintenance)
        for a in snap.assets
    }
    kits: dict[str, list[str]] = {}
    for a in snap.assets:
        if a.kit is not None:
            kits.setdefault(a.kit, []).append(a.code)
    bookings: dict[str, list[Booking]] = {}
    for b in snap.bookings:
        bookings.setdefault(b.asset, []).append(Booking(b.person, b.starts, b.ends))
    holders = {h.asset: Held(h.person, h.due, h.renewals) for h in snap.holdings}
    repairs: set[str] = set()
    for row in overlay:
        _overlay(holders, repairs, row)
    return ReplicaView(
        snapshot=snap,
        badges=MappingProxyType(badges),
        assets=MappingProxyType(assets),
        holders=MappingProxyType(holders),
        bookings=MappingProxyType({code: tuple(found) for code, found in bookings.items()}),
        kits=MappingProxyType({kit: tuple(sorted(pieces)) for kit, pieces in kits.items()}),
        repairs=frozenset(repairs),
    )


def _door_pin(p: ReplicaPerson) -> str | None:
    """A staff member's PIN hash, if it is one this kiosk can check (else, as with none, the
    door asks them to have a manager set one)."""
    if not p.staff or p.pin is None:
        return None
    if not usable(p.pin):
        log.warning("person %s: their door PIN hash is not one this kiosk can check", p.id)
        return None
    return p.pin


def _overlay(holders: dict[str, Held], repairs: set[str], row: _OverlayRow) -> None:
    """Apply one of our own events to a view being built (never to one already shown)."""
    type_, asset, person, due, condition = row
    if type_ == EventType.CHECKOUT.value and person is not None and due is not None:
        holders[asset] = Held(person, datetime.fromisoformat(due))
    elif type_ == EventType.EXTEND.value and due is not None and asset in holders:
        held = holders[asset]
        holders[asset] = Held(held.person, datetime.fromisoformat(due), held.renewals + 1)
    elif type_ == EventType.RETURN.value:
        holders.pop(asset, None)
        if condition in _PROBLEMS:  # the hub sends it for repair; nobody borrows it meanwhile
            repairs.add(asset)


class Replica:
    """The replica on disk and its current ``ReplicaView``; writers (the link thread, the
    session thread recording our own events) take the lock, readers take ``view()``."""

    def __init__(self, path: Path, kiosk_id: str) -> None:
        self.kiosk_id = kiosk_id
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(overlay)")}
            if "condition" not in columns:  # a replica kept by an older kiosk release
                self._db.execute("ALTER TABLE overlay ADD COLUMN condition TEXT")
        except sqlite3.DatabaseError as exc:
            raise KioskError(f"the replica at {path} cannot be opened: {exc}") from exc
        self._view = ReplicaView()
        row = self._db.execute("SELECT payload FROM snapshot WHERE id = 1").fetchone()
        if row is not None:
            try:
                snap = ReplicaSnapshot.model_validate(load_object(bytes(row[0])))
            except (WireError, ValidationError) as exc:
                log.error("stored replica snapshot is unreadable, waiting for a new one: %s", exc)
            else:
                self._view = _from_snapshot(snap, self._overlay_rows())

    def view(self) -> ReplicaView:
        """The current replica, whole; it stays as it is however the replica moves on."""
        return self._view

    @property
    def ready(self) -> bool:
        return self._view.ready

    @property
    def version(self) -> int:
        return self._view.version

    @property
    def policy(self) -> ReplicaPolicy:
        return self._view.policy

    def person_by_badge(self, uid: str) -> Person | None:
        return self._view.person_by_badge(uid)

    def item(self, code: str) -> Item | None:
        return self._view.item(code)

    def loans_of(self, person_id: str) -> list[tuple[Item, Held]]:
        return self._view.loans_of(person_id)

    def apply_snapshot(self, payload: bytes, unacked: Collection[int] = ()) -> bool:
        """Take a newer snapshot; refuse (and log) a malformed one, keeping the current one.

        Our own events the snapshot reflects leave the overlay, except those still waiting for
        an ack (``unacked`` sequence numbers): with events committed out of order, a snapshot's
        highest sequence number does not prove that every lower one is in.
        """
        try:
            load_object(payload)  # version check first, for a clear error
            snap = ReplicaSnapshot.model_validate_json(payload)
        except (WireError, ValidationError) as exc:
            log.error("ignored a malformed replica snapshot: %s", exc)
            return False
        with self._lock:
            current = self._view.snapshot
            if current is not None and snap.version < current.version:
                return False
            self._store(snap, payload, unacked)
        return True

    def apply_delta(self, payload: bytes, unacked: Collection[int] = ()) -> bool:
        """Take the changes from our version to the next; a delta for another version (we
        missed one, or are ahead) is skipped until the next retained snapshot."""
        try:
            load_object(payload)
            delta = ReplicaDelta.model_validate_json(payload)
        except (WireError, ValidationError) as exc:
            log.error("ignored a malformed replica delta: %s", exc)
            return False
        with self._lock:
            current = self._view.snapshot
            if current is None or delta.base != current.version:
                if current is None or delta.version > current.version:
                    log.info(
                        "replica %s cannot take delta %s->%s; waiting for a snapshot",
                        self.version,
                        delta.base,
                        delta.version,
                    )
                return False
            snap = apply_delta(current, delta)
            self._store(snap, snap.model_dump_json().encode(), unacked)
        return True

    def _store(self, snap: ReplicaSnapshot, payload: bytes, unacked: Collection[int]) -> None:
        """Keep the snapshot on disk, drop overlay rows it reflects, and swap in the view built
        from both (lock held)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("INSERT OR REPLACE INTO snapshot(id, payload) VALUES (1, ?)", (payload,))
        seen = snap.kiosk_seqs.get(self.kiosk_id, 0)
        waiting = set(unacked)
        done = [
            (seq,)
            for (seq,) in self._db.execute("SELECT seq FROM overlay WHERE seq <= ?", (seen,))
            if seq not in waiting
        ]
        self._db.executemany("DELETE FROM overlay WHERE seq = ?", done)
        self._db.execute("COMMIT")
        self._view = _from_snapshot(snap, self._overlay_rows())

    def _overlay_rows(self) -> list[_OverlayRow]:
        return [
            (str(type_), str(asset), person, due, condition)
            for type_, asset, person, due, condition in self._db.execute(
                "SELECT type, asset, person, due, condition FROM overlay ORDER BY seq"
            )
        ]

    def record_all(self, events: Collection[CustodyEvent]) -> None:
        """Remember our own custody events (a confirmed cart) until a snapshot includes them,
        with one new view."""
        rows: list[tuple[int, _OverlayRow]] = [
            (
                e.seq,
                (
                    e.type.value,
                    e.asset,
                    e.person,
                    e.due.isoformat() if e.due else None,
                    e.condition.value if e.condition else None,
                ),
            )
            for e in events
            if e.asset is not None and e.type not in (EventType.DENIED, EventType.SEEN)
        ]
        if not rows:
            return
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO overlay(seq, type, asset, person, due, condition)"
                " VALUES (?,?,?,?,?,?)",
                [(seq, *row) for seq, row in rows],
            )
            view = self._view
            holders, repairs = dict(view.holders), set(view.repairs)
            for _seq, row in rows:
                _overlay(holders, repairs, row)
            self._view = replace(
                view, holders=MappingProxyType(holders), repairs=frozenset(repairs)
            )
