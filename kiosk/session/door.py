"""The cage door for staff: a badge, and the door PIN when the kiosk asks for one."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from kiosk.screens import format_clock
from kiosk.session.effects import Effect, Feedback, Record, Signal, Unlock
from kiosk.session.inputs import BACKSPACE
from kiosk.session.model import Mode, PinEntry, Settings, State, cage_zone, idle
from rules.lending import Person
from wire import DenialReason, EventType
from wire.pins import MAX_DIGITS, MIN_DIGITS, usable, verify_pin

PIN_KEYS = frozenset("0123456789")


NO_PIN_TEXT = "No door PIN is set for you: ask a manager to set one"


PIN_TOO_SHORT = f"A PIN has {MIN_DIGITS} to {MAX_DIGITS} digits"


PIN_LOCKED_TITLE = "Too many wrong PINs"


DOOR_UNLOCKED = "Door unlocked"


PIN_CHECKED = "PIN checked"  # the door_unlocked event's detail when the PIN was asked for


def wrong_pin_text(left: int) -> str:
    return f"Wrong PIN: {left} {'try' if left == 1 else 'tries'} left"


def locked_out_text(until: datetime, tz: str) -> str:
    return f"Too many wrong PINs: this badge opens the door here again at {format_clock(until, tz)}"


def _unlock(
    state: State,
    person: Person,
    badge: str | None,
    now: datetime,
    settings: Settings,
    *,
    checked: bool = False,
) -> tuple[State, list[Effect]]:
    rec = Record(
        EventType.DOOR_UNLOCKED,
        session=state.session,
        badge=badge,
        person=person.id,
        detail=PIN_CHECKED if checked else None,
    )
    return replace(state, message=DOOR_UNLOCKED, expires=now + settings.linger), [
        rec,
        Unlock(settings.unlock_seconds),
        Feedback(Signal.OK),
    ]


def door(
    state: State, person: Person, badge: str, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """Staff asked for the door (a badge at a station, Open door in a session): open it, or
    ask for the PIN first, or say why not. ``state`` is where the answer is shown."""
    door = settings.door
    if not door.require_pin:
        return _unlock(state, person, badge, now, settings)
    later = now + (settings.inactivity if state.mode is Mode.CART else settings.linger)
    until = state.lockouts.locked_until(badge, now)
    if until is not None:
        text = locked_out_text(until, cage_zone(settings))
        return replace(state, message=text, expires=later), [Feedback(Signal.ERROR)]
    if not usable(person.pin):
        return replace(state, message=NO_PIN_TEXT, expires=later), [Feedback(Signal.ERROR)]
    entry = PinEntry(person, badge)
    return replace(state, pin=entry, message=None, expires=now + door.timeout, countdown=None), []


def pin_key(state: State, key: str) -> State:
    entry = state.pin
    if entry is None:
        return state
    if key == BACKSPACE:
        return replace(state, pin=replace(entry, typed=entry.typed[:-1]))
    if len(key) != 1 or key not in PIN_KEYS or len(entry.typed) >= MAX_DIGITS:
        return state
    # a wrong PIN's "tries left" stays up while the next one is typed
    return replace(state, pin=replace(entry, typed=entry.typed + key))


def pin_enter(state: State, now: datetime, settings: Settings) -> tuple[State, list[Effect]]:
    """Check the PIN typed: the door opens, or the badge has one try fewer, or it is locked
    out here and the hub is told."""
    entry = state.pin
    if entry is None:
        return state, []
    if len(entry.typed) < MIN_DIGITS:
        return replace(state, pin=replace(entry, message=PIN_TOO_SHORT)), [Feedback(Signal.ERROR)]
    door = settings.door
    assert entry.person.pin is not None  # the pad opens only for someone with a PIN
    if verify_pin(entry.person.pin, entry.typed):
        back = replace(state, pin=None, lockouts=state.lockouts.right(entry.badge))
        if back.mode is not Mode.CART:
            back = idle(back)
        return _unlock(back, entry.person, entry.badge, now, settings, checked=True)
    lockouts, until = state.lockouts.wrong(entry.badge, now, door.attempts, door.lockout)
    if until is None:
        left = door.attempts - lockouts.wrong_in_a_row(entry.badge, now, door.lockout)
        wrong = replace(entry, typed="", message=wrong_pin_text(left))
        return replace(state, pin=wrong, lockouts=lockouts), [Feedback(Signal.ERROR)]
    minutes = math.ceil(door.lockout.total_seconds() / 60)
    rec = Record(
        EventType.DENIED,
        session=state.session,
        badge=entry.badge,
        person=entry.person.id,
        reason=DenialReason.PIN_LOCKOUT,
        detail=f"{door.attempts} wrong PINs in a row: locked out here for {minutes} min",
    )
    # the session ends too: whoever holds this badge has not shown they own it
    locked = replace(
        idle(state),
        lockouts=lockouts,
        mode=Mode.DENIED,
        denial=(PIN_LOCKED_TITLE, locked_out_text(until, cage_zone(settings))),
        expires=now + settings.linger,
    )
    return locked, [Feedback(Signal.ERROR), rec]
