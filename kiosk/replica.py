"""The kiosk's local replica of hub state, so it decides offline.

It keeps the newest retained snapshot from the hub plus the kiosk's own events that the snapshot
does not yet reflect (an overlay), so an item lent here offline is known to be out.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from kiosk.errors import KioskError
from kiosk.session import Booking, Item, Person
from wire import (
    CustodyEvent,
    EventType,
    ReplicaDelta,
    ReplicaPolicy,
    ReplicaSnapshot,
    ReturnCondition,
    WireError,
)
from wire.codec import load_object
from wire.replica_delta import apply as apply_delta

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


class Replica:
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
        self._snapshot: ReplicaSnapshot | None = None
        self._people: dict[str, Person] = {}
        self._badges: dict[str, Person] = {}
        self._assets: dict[str, Item] = {}
        self._holders: dict[str, Held] = {}
        self._bookings: dict[str, tuple[Booking, ...]] = {}
        self._kits: dict[str, tuple[str, ...]] = {}
        self._repairs: set[str] = set()  # returned damaged here, not yet in a snapshot
        row = self._db.execute("SELECT payload FROM snapshot WHERE id = 1").fetchone()
        if row is not None:
            try:
                self._load(ReplicaSnapshot.model_validate(load_object(bytes(row[0]))))
            except (WireError, ValidationError) as exc:
                log.error("stored replica snapshot is unreadable, waiting for a new one: %s", exc)

    @property
    def version(self) -> int:
        return self._snapshot.version if self._snapshot else 0

    @property
    def policy(self) -> ReplicaPolicy:
        return self._snapshot.policy if self._snapshot else ReplicaPolicy()

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
            if self._snapshot is not None and snap.version < self._snapshot.version:
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
            if self._snapshot is None or delta.base != self._snapshot.version:
                if self._snapshot is None or delta.version > self._snapshot.version:
                    log.info(
                        "replica %s cannot take delta %s->%s; waiting for a snapshot",
                        self.version,
                        delta.base,
                        delta.version,
                    )
                return False
            snap = apply_delta(self._snapshot, delta)
            self._store(snap, snap.model_dump_json().encode(), unacked)
        return True

    def _store(self, snap: ReplicaSnapshot, payload: bytes, unacked: Collection[int]) -> None:
        """Keep the snapshot on disk and drop overlay rows it reflects (lock held)."""
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
        self._load(snap)

    def record_local(self, event: CustodyEvent) -> None:
        """Remember our own custody events until a snapshot includes them."""
        if event.asset is None or event.type in (EventType.DENIED, EventType.SEEN):
            return
        with self._lock:
            due = event.due.isoformat() if event.due else None
            condition = event.condition.value if event.condition else None
            self._db.execute(
                "INSERT OR REPLACE INTO overlay(seq, type, asset, person, due, condition)"
                " VALUES (?,?,?,?,?,?)",
                (event.seq, event.type.value, event.asset, event.person, due, condition),
            )
            self._apply_overlay_row(event.type.value, event.asset, event.person, due, condition)

    def person_by_badge(self, uid: str) -> Person | None:
        return self._badges.get(uid.upper())

    def item(self, code: str) -> Item | None:
        base = self._assets.get(code)
        if base is None:
            return None
        members = tuple(
            piece for m in self._kits.get(code, ()) if (piece := self._bare_item(m)) is not None
        )
        return replace(self._bare_item(code) or base, members=members)

    def _bare_item(self, code: str) -> Item | None:
        base = self._assets.get(code)
        if base is None:
            return None
        held = self._holders.get(code)
        holder = held.person if held else None
        return replace(
            base,
            holder=holder,
            bookings=self._bookings.get(code, ()),
            in_maintenance=base.in_maintenance or code in self._repairs,
        )

    def loans_of(self, person_id: str) -> list[tuple[Item, Held]]:
        """What a person holds, as far as this kiosk knows, soonest due first."""
        loans = []
        for code, held in self._holders.items():
            item = self._assets.get(code)
            if held.person == person_id and item is not None:
                loans.append((item, held))
        return sorted(loans, key=lambda loan: (loan[1].due, loan[0].code))

    def snapshot_at(self) -> datetime | None:
        return self._snapshot.at if self._snapshot else None

    def _load(self, snap: ReplicaSnapshot) -> None:
        self._snapshot = snap
        self._people = {
            p.id: Person(
                p.id,
                p.name,
                p.staff,
                tuple(sorted(p.trainings.items())),
                p.blocked_until,
                p.blocked_reason,
                p.strikes,
                tuple(p.notices),
            )
            for p in snap.people
            if p.active
        }
        self._badges = {
            uid: self._people[p.id] for p in snap.people if p.active for uid in p.badges
        }
        self._assets = {
            a.code: Item(a.code, a.name, a.category, a.lendable, in_maintenance=a.in_maintenance)
            for a in snap.assets
        }
        kits: dict[str, list[str]] = {}
        for a in snap.assets:
            if a.kit is not None:
                kits.setdefault(a.kit, []).append(a.code)
        self._kits = {kit: tuple(sorted(pieces)) for kit, pieces in kits.items()}
        self._holders = {h.asset: Held(h.person, h.due, h.renewals) for h in snap.holdings}
        bookings: dict[str, list[Booking]] = {}
        for b in snap.bookings:
            bookings.setdefault(b.asset, []).append(Booking(b.person, b.starts, b.ends))
        self._bookings = {code: tuple(found) for code, found in bookings.items()}
        self._repairs = set()
        for type_, asset, person, due, condition in self._db.execute(
            "SELECT type, asset, person, due, condition FROM overlay ORDER BY seq"
        ):
            self._apply_overlay_row(str(type_), str(asset), person, due, condition)

    def _apply_overlay_row(
        self, type_: str, asset: str, person: str | None, due: str | None, condition: str | None
    ) -> None:
        if type_ == EventType.CHECKOUT.value and person is not None and due is not None:
            self._holders[asset] = Held(person, datetime.fromisoformat(due))
        elif type_ == EventType.EXTEND.value and due is not None and asset in self._holders:
            held = self._holders[asset]
            self._holders[asset] = Held(held.person, datetime.fromisoformat(due), held.renewals + 1)
        elif type_ == EventType.RETURN.value:
            self._holders.pop(asset, None)
            if condition in _PROBLEMS:  # the hub sends it for repair; nobody borrows it meanwhile
                self._repairs.add(asset)
