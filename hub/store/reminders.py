"""The record of pickup reminders: raised once, then sent or dropped, never both, never twice.

Sending happens outside any transaction (hub.alerts.reminders): a reminder is marked sent only
after the mail server took it, so a hub stopped mid-send at worst sends that one again, and a
mail server that is down leaves everything pending for the next pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from hub.domain.reminders import Pickup
from hub.store.base import StoreBase
from hub.store.schema import assets, bookings, people, reminders


@dataclass(frozen=True)
class PendingReminder:
    id: str
    booking: int
    person: str
    person_name: str
    email: str | None
    asset: str
    asset_name: str
    starts: datetime
    ends: datetime
    live: bool  # the reservation still stands (not cancelled, not picked up) at this start
    attempts: int


class ReminderStore(StoreBase):
    def pickups_between(self, after: datetime, until: datetime) -> list[Pickup]:
        """Live reservations, not yet picked up, starting in ``(after, until]``; kits' pieces
        are left out (the kit's own booking stands for them)."""
        q = (
            select(bookings.c.id, bookings.c.person, bookings.c.starts)
            .select_from(bookings.join(assets, assets.c.code == bookings.c.asset))
            .where(
                bookings.c.cancelled.is_(False),
                bookings.c.picked_up.is_(False),
                bookings.c.starts > after,
                bookings.c.starts <= until,
                assets.c.kit.is_(None),
            )
        )
        with self.engine.connect() as conn:
            return [Pickup(*row) for row in conn.execute(q)]

    def raised_reminders(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        with self.engine.connect() as conn:
            return set(conn.scalars(select(reminders.c.id).where(reminders.c.id.in_(ids))))

    def raise_reminders(self, due: Sequence[tuple[str, Pickup]], now: datetime) -> int:
        """Record new reminders; one raised before (by another pass) is left as it is."""
        with self._tx() as conn:
            known = set(
                conn.scalars(select(reminders.c.id).where(reminders.c.id.in_([i for i, _ in due])))
            )
            fresh = [(i, p) for i, p in due if i not in known]
            for rid, p in fresh:
                conn.execute(
                    insert(reminders).values(
                        id=rid, booking=p.booking, person=p.person, due=p.starts, raised_at=now
                    )
                )
        return len(fresh)

    def pending_reminders(self, limit: int = 200) -> list[PendingReminder]:
        q = (
            select(
                reminders.c.id,
                reminders.c.booking,
                reminders.c.person,
                people.c.name.label("person_name"),
                people.c.email,
                bookings.c.asset,
                assets.c.name.label("asset_name"),
                reminders.c.due.label("starts"),
                bookings.c.ends,
                (
                    bookings.c.cancelled.is_(False)
                    & bookings.c.picked_up.is_(False)
                    & (bookings.c.starts == reminders.c.due)
                ).label("live"),
                reminders.c.attempts,
            )
            .select_from(
                reminders.join(bookings, bookings.c.id == reminders.c.booking)
                .join(people, people.c.id == reminders.c.person)
                .join(assets, assets.c.code == bookings.c.asset)
            )
            .where(reminders.c.sent_at.is_(None), reminders.c.dropped_at.is_(None))
            .order_by(reminders.c.due, reminders.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                PendingReminder(**{**row._mapping, "live": bool(row.live)})
                for row in conn.execute(q)
            ]

    def reminder_sent(self, rid: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(update(reminders).where(reminders.c.id == rid).values(sent_at=now))

    def reminder_dropped(self, rid: str, now: datetime, why: str) -> None:
        with self._tx() as conn:
            conn.execute(
                update(reminders)
                .where(reminders.c.id == rid)
                .values(dropped_at=now, last_error=why[:300])
            )

    def reminder_failed(self, rid: str, error: str) -> int:
        """Count a failed send; the attempts so far."""
        with self._tx() as conn:
            return int(
                conn.scalar(
                    update(reminders)
                    .where(reminders.c.id == rid)
                    .values(attempts=reminders.c.attempts + 1, last_error=error[:300])
                    .returning(reminders.c.attempts)
                )
                or 0
            )

    def reminders_of(self, booking: int) -> list[tuple[str, datetime | None, datetime | None]]:
        """(id, sent at, dropped at) of a booking's reminders: for the dashboard and tests."""
        with self.engine.connect() as conn:
            return [
                (r.id, r.sent_at, r.dropped_at)
                for r in conn.execute(
                    select(reminders.c.id, reminders.c.sent_at, reminders.c.dropped_at)
                    .where(reminders.c.booking == booking)
                    .order_by(reminders.c.id)
                )
            ]
