"""Which pickup reminders a borrower has earned: one per reservation, sent ``lead`` before its
window starts. The id names the booking and the start it was raised against, so each reminder
is raised once, and a booking moved to a new start earns a fresh one.

Loans need nothing here: their "due soon" and "overdue" alerts (hub.domain.sweeper) already go
to the holder by email.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Pickup:
    """A live reservation not yet picked up."""

    booking: int
    person: str
    starts: datetime


def reminder_id(pickup: Pickup) -> str:
    return f"pickup:{pickup.booking}:{int(pickup.starts.timestamp())}"


def horizon(now: datetime, lead: timedelta) -> datetime:
    """Reservations starting after this have earned no reminder yet."""
    return now + lead


def due(
    pickups: Iterable[Pickup], raised: Collection[str], now: datetime, lead: timedelta
) -> list[tuple[str, Pickup]]:
    """The reminders to raise now: for reservations starting within ``lead`` from ``now`` (not
    those already begun: a reminder after the start is no use) and not raised before."""
    found = []
    for p in pickups:
        rid = reminder_id(p)
        if now < p.starts <= horizon(now, lead) and rid not in raised:
            found.append((rid, p))
    return sorted(found, key=lambda r: (r[1].starts, r[0]))
