"""Bookings after they are made (hub.store.booking_writes makes and cancels them): released when
nobody came, restored when a kiosk that was offline says the item was picked up after all, and
listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from hub.domain.bookings import state as booking_state
from hub.store.base import StoreBase
from hub.store.journal import audit
from hub.store.locks import lock
from hub.store.schema import assets, bookings, holdings, people
from wire import CustodyEvent

_PIECE = 500  # values per IN list, as hub.store.locks.chunks


@dataclass(frozen=True)
class BookingListed:
    """A booking as the bookings page, its CSV, the API and the CLI list it."""

    id: int
    asset: str
    asset_name: str
    person: str
    person_name: str
    starts: datetime
    ends: datetime
    picked_up: bool
    cancelled: bool
    released_at: datetime | None  # released as a no-show then
    state: str  # what became of it (hub.domain.bookings.State)


def late_pickup(conn: Connection, booking: int, ev: CustodyEvent, now: datetime) -> None:
    """A booking released as a no-show was picked up after all (the kiosk that lent it
    was offline): it is restored and the release withdrawn, unless its slot was booked
    by someone else meanwhile; then a manager decides."""
    other = bookings.alias("other")
    mine = bookings.alias("mine")
    taken_since = conn.scalar(
        select(other.c.id)
        .select_from(other.join(mine, mine.c.id == booking))
        .where(
            other.c.asset == mine.c.asset,
            other.c.id != mine.c.id,
            other.c.cancelled.is_(False),
            other.c.starts < mine.c.ends,
            other.c.ends > mine.c.starts,
        )
        .limit(1)
    )
    detail = f"picked up at {ev.kiosk} at {ev.at:%Y-%m-%d %H:%M} UTC (event {ev.id})"
    if taken_since is not None:
        audit(conn, now, "hub", "booking.no_show_disputed", str(booking), detail)
        return
    conn.execute(
        update(bookings)
        .where(bookings.c.id == booking)
        .values(picked_up=True, cancelled=False, released_at=None)
    )
    audit(conn, now, "hub", "booking.no_show_withdrawn", str(booking), detail)


class Bookings(StoreBase):
    def release_no_shows(self, started_before: datetime, now: datetime) -> list[int]:
        """Bookings nobody picked up within the grace period are released for others. Not
        those whose item is out: held by the booker (taken early, or lent by a kiosk still
        offline), or by someone else not back yet, which is not the booker's doing."""
        held = select(holdings.c.asset).where(holdings.c.asset == bookings.c.asset)
        due = select(bookings.c.id, bookings.c.asset).where(
            bookings.c.cancelled.is_(False),
            bookings.c.picked_up.is_(False),
            bookings.c.starts < started_before,
            bookings.c.ends > now,
            ~held.exists(),
        )
        with self._tx() as conn:
            # a kiosk's commit may be picking one up right now: decide under the assets' locks
            lock(conn, sorted({asset for _id, asset in conn.execute(due)}))
            ids = [booking for booking, _asset in conn.execute(due)]
            for i in range(0, len(ids), _PIECE):
                part = ids[i : i + _PIECE]
                conn.execute(
                    update(bookings)
                    .where(bookings.c.id.in_(part))
                    .values(cancelled=True, released_at=now)
                )
                for booking in part:
                    audit(conn, now, "hub", "booking.no_show", str(booking))
        return ids

    def bookings_between(
        self, start: datetime, end: datetime, ended: bool = False
    ) -> list[BookingListed]:
        """Live bookings overlapping a window, by asset then start; with ``ended`` the
        cancelled and no-show ones too. Each says what became of it (``state``)."""
        q = (
            select(
                bookings.c.id,
                bookings.c.asset,
                assets.c.name.label("asset_name"),
                bookings.c.person,
                people.c.name.label("person_name"),
                bookings.c.starts,
                bookings.c.ends,
                bookings.c.picked_up,
                bookings.c.cancelled,
                bookings.c.released_at,
            )
            .select_from(
                bookings.join(assets, assets.c.code == bookings.c.asset).join(
                    people, people.c.id == bookings.c.person
                )
            )
            .where(bookings.c.starts < end, bookings.c.ends > start)
            .order_by(bookings.c.asset, bookings.c.starts)
        )
        if not ended:
            q = q.where(bookings.c.cancelled.is_(False))
        with self.engine.connect() as conn:
            return [
                BookingListed(
                    **r._mapping, state=booking_state(r.cancelled, r.picked_up, r.released_at)
                )
                for r in conn.execute(q)
            ]
