"""A badge at a cage kiosk: a session starts, goes on, is confirmed, or is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.screens import HeldItem, LineAction
from kiosk.session.cart import confirm
from kiosk.session.door import door
from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.inputs import BadgeTapped
from kiosk.session.loans import loan_now
from kiosk.session.model import Mode, Profile, Settings, State, cage_zone, idle
from kiosk.session.pickup import pickable
from kiosk.session.staff import enroll_step
from kiosk.session.view import STARTING_RETRY
from rules.lending import Person, ban_end
from wire import DenialReason, EventType


def badge(
    state: State, event: BadgeTapped, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    person = event.person
    if settings.profile is Profile.STATION:
        if person is not None and person.staff:
            return door(idle(state), person, event.uid, now, settings)
        text = "No badge needed: show each item's label to return it"
        return replace(idle(state), message=text, expires=now + settings.linger), [
            Feedback(Signal.ERROR)
        ]
    if state.mode is Mode.CART and state.enrolling is not False:
        return enroll_step(state, event, now, settings)
    owner = state.person if state.mode is Mode.CART else None
    if owner is not None and person is not None and owner.id == person.id:
        return confirm(state, now, settings)  # tapping the badge again confirms
    if owner is not None and any(
        line.action in (LineAction.CHECKOUT, LineAction.RETURN)
        for line in (*state.lines, *state.stash)
    ):
        # another card (a friend's badge, a bank card) must not wipe a cart not yet confirmed
        text = f"Items waiting for {owner.name}: tap that badge to confirm, or Cancel"
        effects: list[Effect] = [Feedback(Signal.ERROR)]
        if person is None:
            effects.append(
                Record(EventType.DENIED, badge=event.uid, reason=DenialReason.UNKNOWN_BADGE)
            )
        return replace(state, message=text), effects
    if person is None and not state.ready:
        # not a stranger: the kiosk has not heard from the hub yet and knows nobody
        hint = replace(idle(state), message=STARTING_RETRY, expires=now + settings.linger)
        return hint, [Feedback(Signal.ERROR)]
    if person is None:
        denied = replace(
            idle(state),
            mode=Mode.DENIED,
            denial=("Badge not recognised", "Please ask staff to register your badge."),
            expires=now + settings.linger,
        )
        record = Record(EventType.DENIED, badge=event.uid, reason=DenialReason.UNKNOWN_BADGE)
        return denied, [Feedback(Signal.ERROR), record]
    session = f"{event.uid}-{int(now.timestamp() * 1000)}"
    loans = tuple(loan_now(loan, now, settings) for loan in event.loans)
    started = replace(
        idle(state),
        mode=Mode.CART,
        person=person,
        badge=event.uid,
        session=session,
        loans=loans,
        reserved=pickable(event.reservations, loans, now),
        message=_welcome_message(person, loans, now, cage_zone(settings)),
        expires=now + settings.inactivity,
    )
    return started, [Feedback(Signal.OK)]


def _welcome_message(
    person: Person, loans: tuple[HeldItem, ...], now: datetime, tz: str
) -> str | None:
    """What the person should know first, in two short lines at most: a ban, overdue items,
    strikes, the hub's reminders."""
    parts: list[str] = []
    if person.blocked(now):
        why = f": {person.blocked_reason}" if person.blocked_reason else ""
        parts.append(f"No new loans {ban_end(person, tz)}{why}")
    overdue = sum(loan.overdue for loan in loans)
    if overdue:
        parts.append(f"{overdue} overdue: please bring {'it' if overdue == 1 else 'them'} back")
    elif person.notices:
        parts.append(person.notices[-1])
    if person.strikes and not person.blocked(now):
        parts.append(f"{person.strikes} late return{'' if person.strikes == 1 else 's'} this term")
    return ". ".join(parts) or None
