"""Reservations at the kiosk: what the person tapping in may pick up now, lent until their
window ends, and why an item someone else has reserved is refused (with when it is free)."""

from __future__ import annotations

from datetime import datetime

from kiosk.screens import HeldItem, LineAction, Reservation, reservation_refusal
from kiosk.session.model import State
from rules.lending import Item
from rules.pickup import can_pick_up, free_again


def pickable(
    reservations: tuple[Reservation, ...], loans: tuple[HeldItem, ...], now: datetime
) -> tuple[Reservation, ...]:
    """The person's bookings they may take at ``now`` (the window has opened, or opens within
    the early-pickup span) and do not hold already, soonest first."""
    seen = {loan.code for loan in loans}
    found: list[Reservation] = []
    for r in sorted(reservations, key=lambda r: (r.starts, r.code)):
        if can_pick_up(r.starts, r.ends, now) and r.code not in seen:
            seen.add(r.code)  # of two back-to-back bookings of one item, the first is picked up
            found.append(r)
    return tuple(found)


def reserved_until(state: State, code: str) -> datetime | None:
    """When ``code`` is due back if it goes out as the person's reservation (None: it is not
    reserved by them)."""
    return next((r.ends for r in state.reserved if r.code == code), None)


def still_to_scan(state: State) -> tuple[Reservation, ...]:
    """The reserved items not yet in the cart to go out."""
    going = {ln.code for ln in state.lines if ln.action is LineAction.CHECKOUT}
    return tuple(r for r in state.reserved if r.code not in going)


def booked_text(item: Item, person: str, now: datetime, tz: str) -> str:
    """Why ``item`` is refused to ``person``: reserved by someone else, free again when."""
    return reservation_refusal(free_again(item.bookings, person, now), now, tz)
