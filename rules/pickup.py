"""Reservations picked up at a kiosk: which bookings their booker may take now, and when an item
reserved by someone else is free again. Pure: bookings and a time in.

The hub counts a checkout to the booker inside the window, or up to ``EARLY_PICKUP`` before it
opens, as the booking picked up; a kiosk offers a reservation for pickup over the same span, so
what the kiosk lends as a pickup is what the hub records as one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from rules.lending import Booking

EARLY_PICKUP = timedelta(hours=2)  # a booker may take the item this long before the window opens


def can_pick_up(starts: datetime, ends: datetime, now: datetime) -> bool:
    """Whether a booking from ``starts`` to ``ends`` is its booker's to take at ``now``."""
    return starts <= now + EARLY_PICKUP and ends > now


def free_again(bookings: Iterable[Booking], person: str, now: datetime) -> datetime | None:
    """When the item stops being reserved by anyone but ``person``: the end of the run of other
    people's bookings (back to back or overlapping) that begins with the earliest one not yet
    over. None when nobody else has it booked."""
    others = sorted(
        (b for b in bookings if b.person != person and b.ends > now), key=lambda b: b.starts
    )
    if not others:
        return None
    free = others[0].ends
    for booking in others[1:]:
        if booking.starts > free:
            break
        free = max(free, booking.ends)
    return free
