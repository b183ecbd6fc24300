"""What staff do in a session besides the door: enrol a badge, count the shelf."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.screens import CartLine, LineAction
from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.inputs import BadgeTapped, LabelScanned
from kiosk.session.model import Settings, State
from rules.lending import REFUSAL_TEXT, Person
from wire import DenialReason, EventType


def enroll_step(
    state: State, event: BadgeTapped, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    later = now + settings.inactivity
    if state.enrolling is True:
        if event.person is None:
            text = "That badge is not registered: a manager can add the person first"
            return replace(state, message=text, expires=later), [Feedback(Signal.ERROR)]
        text = f"Now tap the new badge for {event.person.name}"
        return replace(state, enrolling=event.person, message=text, expires=later), [
            Feedback(Signal.OK)
        ]
    assert isinstance(state.enrolling, Person)
    if event.person is not None:
        text = f"That badge already belongs to {event.person.name}"
        return replace(state, message=text, expires=later), [Feedback(Signal.ERROR)]
    owner = state.enrolling
    rec = Record(EventType.ENROLL, session=state.session, person=owner.id, badge=event.uid)
    text = f"Badge enrolled for {owner.name}"
    return replace(state, enrolling=False, message=text, expires=later), [
        rec,
        Feedback(Signal.DONE),
    ]


def count(
    state: State, event: LabelScanned, staff: Person, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """A stocktake scan: recorded as seen here at once; custody does not change."""
    assert event.code is not None
    later = now + settings.inactivity
    if event.item is None:
        reason = DenialReason.UNKNOWN_ITEM
        line = CartLine(event.code, event.code, LineAction.REFUSED, REFUSAL_TEXT[reason])
        return replace(state, lines=(*state.lines, line), expires=later), [Feedback(Signal.ERROR)]
    line = CartLine(event.item.code, event.item.name, LineAction.COUNTED)
    seen = Record(
        EventType.SEEN,
        session=state.session,
        badge=state.badge,
        person=staff.id,
        asset=event.item.code,
    )
    text = f"Count: {sum(1 for ln in state.lines if ln.action is LineAction.COUNTED) + 1} counted"
    return replace(state, lines=(*state.lines, line), message=text, expires=later), [
        seen,
        Feedback(Signal.OK),
    ]


def end_count(state: State, how: str) -> State:
    """The count is over (each scan was recorded as it came): the cart comes back whole."""
    counted = sum(1 for line in state.lines if line.action is LineAction.COUNTED)
    text = f"{how}: {counted} counted. Your items are still here"
    return replace(state, stocktake=False, lines=state.stash, stash=(), message=text)
