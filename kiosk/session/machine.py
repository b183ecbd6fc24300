"""The session's step: one input in, the new state and its effects out."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from kiosk.session.badge import badge
from kiosk.session.cart import confirm, next_condition, scan, set_condition
from kiosk.session.door import door, pin_enter, pin_key
from kiosk.session.effects import Effect, Feedback, Record, Show, Signal
from kiosk.session.inputs import (
    AcksOverdue,
    BadgeTapped,
    Cancel,
    Confirm,
    ConnectivityChanged,
    CycleCondition,
    Device,
    DeviceTrouble,
    DoorAlarm,
    ExtendLoan,
    Input,
    LabelScanned,
    PinEnter,
    PinKey,
    RemoveItem,
    ReplicaState,
    SetCondition,
    StartEnroll,
    StartStocktake,
    StartTyping,
    StillHere,
    Tick,
    TypeKey,
    UnlockDoor,
)
from kiosk.session.keyboard import NOT_A_CODE, type_key
from kiosk.session.loans import extend
from kiosk.session.model import Mode, Profile, Settings, State, idle
from kiosk.session.staff import end_count
from kiosk.session.station import station_scan
from kiosk.session.view import screen_for
from wire import EventType

_TOUCHES = (
    BadgeTapped,
    LabelScanned,
    Confirm,
    RemoveItem,
    SetCondition,
    CycleCondition,
    ExtendLoan,
    StartEnroll,
    StartStocktake,
    UnlockDoor,
    StillHere,
    StartTyping,
    TypeKey,
    PinKey,
    PinEnter,
)


def step(
    state: State, event: Input, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """Advance the session by one input; when anything changed, the screen to show is the
    last effect."""
    start = state
    if isinstance(event, _TOUCHES) and _open(state):
        # anything the person does keeps their session and puts the countdown away
        keep = settings.door.timeout if state.pin is not None else settings.inactivity
        state = replace(state, expires=now + keep, countdown=None)
    new, effects = _dispatch(state, event, now, settings)
    if not new.ready:
        # starting up, the kiosk does not know anyone or anything yet: nothing it refuses
        # then is a refusal worth keeping
        effects = [e for e in effects if not (isinstance(e, Record) and e.type is EventType.DENIED)]
    if new != start or effects:
        effects.append(Show(screen_for(new, settings, now)))
    return new, effects


def _open(state: State) -> bool:
    """A session the person is working in (a cart, the keyboard or the PIN pad), which
    inactivity clears."""
    return state.mode is Mode.CART or state.typing is not None or state.pin is not None


def _tick(state: State, now: datetime, settings: Settings) -> State:
    if state.expires is None:
        return state
    if now >= state.expires:
        return idle(state)
    if not _open(state):
        return state
    left = state.expires - now
    countdown = math.ceil(left.total_seconds()) if left <= settings.warn_before else None
    return replace(state, countdown=countdown)


# what the PIN pad does not offer (a physical Confirm button, a typed console command): ignored
# while it is up, so the pad is only left by Unlock, Cancel, a badge, a label or the timeout
_NOT_ON_THE_PAD = (
    Confirm,
    RemoveItem,
    SetCondition,
    CycleCondition,
    ExtendLoan,
    StartEnroll,
    StartStocktake,
    StartTyping,
    UnlockDoor,
)


def _dispatch(
    state: State, event: Input, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    if state.pin is not None and isinstance(event, _NOT_ON_THE_PAD):
        return state, []
    match event:
        case ConnectivityChanged(online=online):
            return replace(state, offline=not online), []
        case DoorAlarm(on=on):
            return replace(state, door_alarm=on), []
        case DeviceTrouble(device=device, problem=problem):
            troubles = tuple((d, p) for d, p in state.troubles if d is not device)
            if problem is not None:
                troubles = (*troubles, (device, problem))
            new = replace(state, troubles=troubles)
            if device is Device.CAMERA and problem is None and state.typing is not None:
                new = replace(new, typing=None, message=None)  # labels can be shown again
            return new, []
        case ReplicaState(ready=ready):
            return replace(state, ready=ready), []
        case AcksOverdue(count=count, oldest=oldest):
            return replace(
                state, unacked=max(0, count), unacked_since=oldest if count > 0 else None
            ), []
        case Tick():
            state = replace(state, lockouts=state.lockouts.tidy(now, settings.door.lockout))
            return _tick(state, now, settings), []
        case Cancel():
            if state.pin is not None:  # back to the cart, or to idle at a station
                back = replace(state, pin=None, message=None)
                if state.mode is Mode.CART:
                    return replace(back, expires=now + settings.inactivity), []
                return idle(back), []
            if state.typing is not None:  # the keyboard's Cancel goes back, not out
                back = idle(state) if state.mode is Mode.IDLE else state
                return replace(back, typing=None, message=None), []
            if state.stocktake and state.stash:  # stop counting, back to the cart set aside
                return end_count(state, "Stopped counting"), []
            return (idle(state), []) if state.mode is not Mode.IDLE else (state, [])
        case StillHere():
            return state, []
        case StartTyping():
            cage_open = state.mode is Mode.CART and not state.stocktake
            station_idle = settings.profile is Profile.STATION and state.mode is Mode.IDLE
            if not (cage_open or station_idle):
                return state, []
            typing = replace(state, typing="", message=None, returned=None)
            return replace(typing, expires=now + settings.inactivity), []
        case TypeKey(key=key):
            if state.pin is not None:  # the PIN pad's keys are the screen's keys too
                return pin_key(state, key), []
            return type_key(state, key), []
        case PinKey(key=key):
            return pin_key(state, key), []
        case PinEnter():
            return pin_enter(state, now, settings)
        case BadgeTapped():
            if state.pin is not None:
                if event.uid == state.pin.badge:  # tapped again out of habit: keep typing
                    return state, []
                state = replace(state, pin=None, message=None)
            if state.typing is not None:
                state = replace(state, typing=None)
            return badge(state, event, now, settings)
        case LabelScanned():
            if state.pin is not None:
                state = replace(state, pin=None)
            typed = state.typing is not None
            if typed and event.code is None:
                return replace(state, message=NOT_A_CODE), [Feedback(Signal.ERROR)]
            state = replace(state, typing=None, message=None) if typed else state
            if settings.profile is Profile.STATION:
                return station_scan(state, event, now, settings)
            return scan(state, event, now, settings)
        case RemoveItem(code=code):
            if state.mode is not Mode.CART:
                return state, []
            lines = tuple(line for line in state.lines if line.code != code)
            return replace(state, lines=lines, message=None), []
        case SetCondition(code=code, condition=condition):
            return set_condition(state, code, lambda _old: condition.value), []
        case CycleCondition(code=code):
            return set_condition(state, code, next_condition), []
        case ExtendLoan(code=code):
            return extend(state, code, now, settings)
        case StartEnroll():
            if state.mode is not Mode.CART or state.person is None or not state.person.staff:
                return state, []
            text = "Enrol a badge: tap the person's current badge"
            return replace(state, enrolling=True, message=text), []
        case StartStocktake():
            if state.mode is not Mode.CART or state.person is None or not state.person.staff:
                return state, []
            if state.stocktake:
                return state, []
            text = "Count: show every item on the shelf, then Done counting"
            # the cart waits aside, whole, until the count is done
            return replace(state, stocktake=True, stash=state.lines, lines=(), message=text), []
        case UnlockDoor():
            if state.mode is not Mode.CART or state.person is None or not state.person.staff:
                return state, []
            if state.pin is not None or state.badge is None:
                return state, []
            return door(state, state.person, state.badge, now, settings)
        case Confirm():
            return confirm(state, now, settings)
    return state, []
