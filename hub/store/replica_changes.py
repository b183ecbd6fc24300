"""What the replica publisher reads: the change log the triggers of migration 0013 fill, and the
replica's rows for a few keys at a time.

Reading the log from a position is exact on both engines. SQLite has one writer at a time, so
rows appear in id order and "every id past the last one read" misses nothing. PostgreSQL
commits concurrent transactions in any order, so a smaller id may become visible after a
larger one; there each row carries its transaction's id, and the position is the oldest
transaction still running when the log was last read (``pg_snapshot_xmin``): every transaction
before it has ended, so its rows have been read. Rows of later transactions that were already
committed are read early and remembered (``Cursor.seen``), so they are not taken twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, bindparam, delete, func, literal_column, select, update

from hub.store import NOTICE_KINDS, Store, strike_reads
from hub.store.access_groups import category_groups
from hub.store.base import HUB
from hub.store.locks import chunks
from hub.store.replica_rows import (
    ASSET_COLUMNS,
    BOOKING_COLUMNS,
    HOLDING_COLUMNS,
    PERSON_COLUMNS,
    ReplicaAssetRow,
    ReplicaBookingRow,
    ReplicaHoldingRow,
    ReplicaPersonRow,
    ReplicaRows,
)
from hub.store.schema import (
    alerts,
    assets,
    badges,
    bookings,
    categories,
    holdings,
    kiosks,
    late_returns,
    ledger,
    people,
    replica_changes,
    replica_horizon,
    trainings,
)

PERSON, ASSET, HOLDING, BOOKING, POLICY = "person", "asset", "holding", "booking", "policy"
T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """Where a reader is in the log: rows at or past ``position`` (an id on SQLite, a
    transaction id on PostgreSQL) are still to be read, except the ``seen`` ones."""

    position: int
    seen: frozenset[int] = frozenset()


@dataclass
class Changes:
    cursor: Cursor
    keys: dict[str, set[str]] = field(default_factory=dict)  # kind -> keys


@dataclass
class PersonRows:
    """What the replica shows of some people, as ``Store.replica_rows`` reads it for all."""

    people: dict[str, ReplicaPersonRow] = field(default_factory=dict)
    badges: dict[str, list[str]] = field(default_factory=dict)
    trainings: dict[str, dict[str, datetime | None]] = field(default_factory=dict)
    strikes: dict[str, int] = field(default_factory=dict)
    first_strike: dict[str, datetime] = field(default_factory=dict)  # the oldest in the term
    notices: dict[str, list[str]] = field(default_factory=dict)


class ReplicaSource:
    """Reads for ``hub.replica_feed``, each in one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self._pg = self.engine.dialect.name == "postgresql"

    @property
    def term(self) -> timedelta:
        return self.store.strikes.term

    # the log --------------------------------------------------------------------------------

    def start(self) -> Cursor:
        """The position to read changes from, taken before the replica is read whole: what
        changes meanwhile is read again, which is harmless."""
        with self.engine.connect() as conn:
            if self._pg:
                return Cursor(_xmin(conn))
            last = conn.scalar(select(func.max(replica_changes.c.id)))
        return Cursor(int(last or 0) + 1)

    def changes(self, cursor: Cursor) -> Changes | None:
        """The keys changed since ``cursor``, and the cursor after them; None if rows the
        reader has not read were pruned (it must read the replica whole)."""
        with self.engine.connect() as conn:
            xmin = _xmin(conn) if self._pg else 0
            position = replica_changes.c.xid if self._pg else replica_changes.c.id
            rows = conn.execute(
                select(
                    replica_changes.c.id,
                    replica_changes.c.kind,
                    replica_changes.c.key,
                    replica_changes.c.xid,
                ).where(position >= cursor.position)
            ).all()
            # after the rows: a prune committed before they were read shows here
            horizon = conn.scalar(select(replica_horizon.c.pruned_below)) or 0
        if horizon > cursor.position:
            return None
        found = Changes(cursor)
        keys = found.keys
        for row_id, kind, key, _ in rows:
            if row_id not in cursor.seen:
                keys.setdefault(kind, set()).add(key)
        if self._pg:
            start = max(cursor.position, xmin)
            seen = frozenset(row_id for row_id, _, _, xid in rows if xid >= start)
            found.cursor = Cursor(start, seen)
        elif rows:
            found.cursor = Cursor(max(row_id for row_id, _, _, _ in rows) + 1)
        return found

    def prune(self, below: int) -> int:
        """Drop the log rows before position ``below`` (one that every reader has passed, as
        far as the caller knows; a reader still behind it finds out and reads whole). SQLite
        keeps the newest row, so its ids never start again from 1."""
        position = replica_changes.c.xid if self._pg else replica_changes.c.id
        with self.store._tx() as conn:
            conn.execute(
                update(replica_horizon)
                .where(replica_horizon.c.pruned_below < below)
                .values(pruned_below=below)
            )
            gone = delete(replica_changes).where(position < below)
            if not self._pg:
                newest = select(func.max(replica_changes.c.id)).scalar_subquery()
                gone = gone.where(replica_changes.c.id < newest)
            return int(conn.execute(gone).rowcount or 0)

    # the replica's rows for some keys -------------------------------------------------------

    def full(self, now: datetime) -> tuple[ReplicaRows, dict[str, datetime]]:
        """Everything (``Store.replica_rows``), and when each person's oldest strike this term
        was returned (read after it: a strike added meanwhile comes through the log anyway)."""
        rows = self.store.replica_rows(now)
        with self.engine.connect() as conn:
            first = dict(
                conn.execute(
                    select(late_returns.c.person, func.min(late_returns.c.returned))
                    .where(*self._in_term(now))
                    .group_by(late_returns.c.person)
                ).all()
            )
        return rows, first

    def people(self, ids: Iterable[str], now: datetime) -> PersonRows:
        found = PersonRows()
        with self.engine.connect() as conn:
            for part in chunks(sorted(set(ids))):
                for r in conn.execute(select(*PERSON_COLUMNS).where(people.c.id.in_(part))):
                    found.people[r.id] = ReplicaPersonRow(*r)
                q = select(badges.c.person_id, badges.c.uid).where(
                    badges.c.person_id.in_(part), badges.c.revoked.is_(False)
                )
                for person, uid in conn.execute(q):
                    found.badges.setdefault(person, []).append(uid)
                q2 = select(trainings).where(trainings.c.person.in_(part))
                for t in conn.execute(q2):
                    found.trainings.setdefault(t.person, {})[t.name] = t.expires
                rules = self.store.strikes
                struck = strike_reads.strikes_of(conn, part, rules, now - rules.term)
                for person, earned in struck.items():
                    found.strikes[person] = len(earned)
                    found.first_strike[person] = earned[0].at
                q4 = (
                    select(alerts.c.person, alerts.c.text)
                    .where(
                        alerts.c.person.in_(part),
                        alerts.c.withdrawn_at.is_(None),
                        alerts.c.kind.in_(NOTICE_KINDS),
                    )
                    .order_by(alerts.c.raised_at, self._insertion(conn))
                )
                for person, text in conn.execute(q4):
                    found.notices.setdefault(person, []).append(text)
        return found

    def assets(self, codes: Iterable[str]) -> dict[str, ReplicaAssetRow]:
        return self._by_key(codes, _ASSETS, ReplicaAssetRow)

    def holdings(self, codes: Iterable[str]) -> dict[str, ReplicaHoldingRow]:
        return self._by_key(codes, _HOLDINGS, ReplicaHoldingRow)

    def bookings(self, codes: Iterable[str], now: datetime) -> dict[str, list[ReplicaBookingRow]]:
        """Each asset's bookings that have not ended, by start."""
        found: dict[str, list[ReplicaBookingRow]] = {}
        with self.engine.connect() as conn:
            for part in chunks(sorted(set(codes))):
                q = (
                    select(*BOOKING_COLUMNS)
                    .where(
                        bookings.c.asset.in_(part),
                        bookings.c.cancelled.is_(False),
                        bookings.c.ends > now,
                    )
                    .order_by(bookings.c.asset, bookings.c.starts)
                )
                for r in conn.execute(q):
                    found.setdefault(r.asset, []).append(ReplicaBookingRow(*r))
        return found

    def categories(
        self,
    ) -> tuple[dict[str, tuple[str, int]], dict[str, str], dict[str, list[str]]]:
        """Loan periods, required trainings and access groups by category (a few rows)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(categories)).all()
            groups = category_groups(conn)
        return (
            {r.name: (r.period, r.amount) for r in rows},
            {r.name: r.requires for r in rows if r.requires},
            groups,
        )

    def kiosk_seqs(self) -> dict[str, int]:
        """Each registered kiosk's highest sequence number in the ledger: one index look-up a
        kiosk, so the ledger, the busiest table, needs no trigger."""
        top = (
            select(func.max(ledger.c.seq))
            .where(ledger.c.kiosk == kiosks.c.id)
            .scalar_subquery()
            .label("seq")
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select(kiosks.c.id, top).where(kiosks.c.id != HUB)).all()
        return {k: int(s) for k, s in rows if s is not None}

    # helpers --------------------------------------------------------------------------------

    def _in_term(self, now: datetime) -> list[Any]:
        return [
            late_returns.c.returned >= now - self.term,
            late_returns.c.forgiven.is_(False),
        ]

    def _insertion(self, conn: Connection) -> Any:
        """Ties in time come in insertion order, as a scan of the whole table gives them."""
        return literal_column("alerts.rowid") if conn.dialect.name == "sqlite" else alerts.c.id

    def _by_key(
        self, keys: Iterable[str], query: Select[Any], row: Callable[..., T]
    ) -> dict[str, T]:
        """Rows (``row`` of their columns) by their first column, for these keys; the statement
        is made once (building it cost more than running it)."""
        found: dict[str, T] = {}
        with self.engine.connect() as conn:
            for part in chunks(sorted(set(keys))):
                for r in conn.execute(query, {"keys": list(part)}):
                    found[r[0]] = row(*r)
        return found


_ASSETS = select(*ASSET_COLUMNS).where(assets.c.code.in_(bindparam("keys", expanding=True)))
_HOLDINGS = select(*HOLDING_COLUMNS).where(holdings.c.asset.in_(bindparam("keys", expanding=True)))


def _xmin(conn: Connection) -> int:
    """The oldest PostgreSQL transaction still running: all before it have ended."""
    return int(
        conn.exec_driver_sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").scalar_one()
    )


__all__ = ["Changes", "Cursor", "PersonRows", "ReplicaSource"]
