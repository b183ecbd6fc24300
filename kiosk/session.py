"""The kiosk session state machine: inputs in, effects out. Pure: no I/O, no clock, no threads.

The app resolves badges and labels against the local replica before feeding them in, so every
decision here is a function of the state, the input and the time passed with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from kiosk.pin_lockout import PinLockouts
from kiosk.screens import (
    CONDITIONS,
    CartLine,
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    Loan,
    PinScreen,
    ReceiptScreen,
    Screen,
    format_clock,
)
from rules.kits import Blocked, blocked_detail, blocked_text, kit_due
from rules.lending import (
    REFUSAL_TEXT,
    Cart,
    ban_end,
    judge,
    zone_of,
)

# the lending rules' people and items, where the kiosk's tools and tests find them
from rules.lending import Booking as Booking
from rules.lending import Item as Item
from rules.lending import Person as Person
from wire import DenialReason, EventType, ReplicaPolicy, ReturnCondition
from wire.labels import compact_label
from wire.pins import MAX_DIGITS, MIN_DIGITS, usable, verify_pin


class Profile(StrEnum):
    CAGE = "cage"  # badge, cart, confirm
    STATION = "station"  # door return station: a scan is a return, no badge needed


# inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeTapped:
    uid: str
    person: Person | None
    loans: tuple[Loan, ...] = ()  # what the replica says the person holds


@dataclass(frozen=True)
class LabelScanned:
    raw: str
    code: str | None  # None when the QR content is not a Cagekeeper label
    item: Item | None  # None when the label names an asset the replica does not know
    error: str | None = None


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class RemoveItem:
    code: str


@dataclass(frozen=True)
class SetCondition:
    """The student chose how a returned item comes back: ``condition`` is one of the line's
    explicit choices ("ok", "damaged", "missing_part")."""

    code: str
    condition: ReturnCondition


@dataclass(frozen=True)
class CycleCondition:
    """The next condition in turn (OK -> damaged -> missing part -> OK), for scripted drivers;
    the screen offers each condition as its own button (SetCondition)."""

    code: str


@dataclass(frozen=True)
class StillHere:
    """A touch anywhere on the screen: the person is still there, keep their session."""


@dataclass(frozen=True)
class StartTyping:
    """Open the on-screen keyboard to type the code printed on a label (the camera is down)."""


@dataclass(frozen=True)
class TypeKey:
    """One key on the on-screen keyboard: a character of a label code, or ``BACKSPACE``."""

    key: str


@dataclass(frozen=True)
class ExtendLoan:
    """The holder asks for more time on something they hold (a touch on the welcome screen)."""

    code: str


@dataclass(frozen=True)
class StartEnroll:
    """Staff begin giving someone a new badge: first that person's current badge, then the new
    one."""


@dataclass(frozen=True)
class StartStocktake:
    """Staff count what is on the shelf: each scan records the item as seen here."""


@dataclass(frozen=True)
class UnlockDoor:
    """Staff asked for the cage door from their session's screen."""


@dataclass(frozen=True)
class PinKey:
    """One key on the door PIN pad: a digit, or ``BACKSPACE``."""

    key: str


@dataclass(frozen=True)
class PinEnter:
    """The PIN pad's Unlock key: check the PIN typed."""


@dataclass(frozen=True)
class Tick:
    pass


@dataclass(frozen=True)
class ConnectivityChanged:
    online: bool


@dataclass(frozen=True)
class DoorAlarm:
    """The cage door has been open too long (``on``), or is shut again."""

    on: bool


class Device(StrEnum):
    CAMERA = "camera"
    READER = "reader"


@dataclass(frozen=True)
class DeviceTrouble:
    """A device stopped working (``problem`` says how, for the screen) or works again
    (``problem`` None)."""

    device: Device
    problem: str | None


@dataclass(frozen=True)
class ReplicaState:
    """Whether the kiosk holds a replica from the hub yet: one that never had one (first boot,
    hub unreachable) is starting up and must not refuse people it merely does not know yet."""

    ready: bool


@dataclass(frozen=True)
class AcksOverdue:
    """``count`` events have waited longer than they should for the hub's ack, the oldest
    recorded at ``oldest`` (count 0: caught up again)."""

    count: int
    oldest: datetime | None = None


Input = (
    BadgeTapped
    | LabelScanned
    | Confirm
    | Cancel
    | RemoveItem
    | SetCondition
    | CycleCondition
    | StillHere
    | StartTyping
    | TypeKey
    | UnlockDoor
    | PinKey
    | PinEnter
    | StartEnroll
    | StartStocktake
    | ExtendLoan
    | Tick
    | ConnectivityChanged
    | DoorAlarm
    | DeviceTrouble
    | ReplicaState
    | AcksOverdue
)


# effects -----------------------------------------------------------------------------------


class Signal(StrEnum):
    OK = "ok"  # a scan accepted
    ERROR = "error"  # refused or not understood
    DONE = "done"  # session confirmed


@dataclass(frozen=True)
class Show:
    screen: Screen


@dataclass(frozen=True)
class Feedback:
    signal: Signal


@dataclass(frozen=True)
class Record:
    """An event for the outbox; the app gives it an id, a sequence number and a signature."""

    type: EventType
    session: str | None = None
    badge: str | None = None
    person: str | None = None
    asset: str | None = None
    due: datetime | None = None
    reason: DenialReason | None = None
    detail: str | None = None
    condition: ReturnCondition | None = None


@dataclass(frozen=True)
class Unlock:
    """Energise the door-lock relay for ``seconds``; it relocks by itself."""

    seconds: float


Effect = Show | Feedback | Record | Unlock


# state -------------------------------------------------------------------------------------


class Mode(StrEnum):
    IDLE = "idle"
    CART = "cart"
    RECEIPT = "receipt"
    DENIED = "denied"


@dataclass(frozen=True)
class DoorSettings:
    """Whether a staff badge needs its owner's PIN too, and how wrong PINs are limited."""

    require_pin: bool = True
    attempts: int = 5  # wrong PINs in a row before the badge is locked out here
    lockout: timedelta = timedelta(minutes=5)
    timeout: timedelta = timedelta(seconds=30)  # an untouched PIN pad goes back to idle


@dataclass(frozen=True)
class PinEntry:
    """The PIN pad is open for ``person``, who tapped ``badge``; ``typed``: the digits so far."""

    person: Person
    badge: str
    typed: str = field(default="", repr=False)
    message: str | None = None


@dataclass(frozen=True)
class Settings:
    kiosk_name: str
    profile: Profile = Profile.CAGE
    inactivity: timedelta = timedelta(seconds=60)
    warn_before: timedelta = timedelta(seconds=15)  # "Still there?" before a session clears
    linger: timedelta = timedelta(seconds=8)  # how long a receipt or denial stays up
    unlock_seconds: float = 5.0
    policy: ReplicaPolicy = field(default_factory=ReplicaPolicy)
    door: DoorSettings = field(default_factory=DoorSettings)


@dataclass(frozen=True)
class State:
    mode: Mode = Mode.IDLE
    person: Person | None = None
    badge: str | None = None
    session: str | None = None
    lines: tuple[CartLine, ...] = ()
    loans: tuple[Loan, ...] = ()
    message: str | None = None
    denial: tuple[str, str] | None = None
    expires: datetime | None = None
    offline: bool = False
    enrolling: Person | bool = False  # True: waiting for whose; a Person: for the new badge
    stocktake: bool = False  # staff counting the shelf: scans are recorded as seen
    stash: tuple[CartLine, ...] = ()  # the cart set aside while staff count, given back after
    door_alarm: bool = False  # the door is held open: the idle screen asks to close it
    typing: str | None = None  # the label code typed so far on the on-screen keyboard
    countdown: int | None = None  # seconds left before an untouched session clears
    returned: str | None = None  # what a return station just took back
    pin: PinEntry | None = None  # the door PIN pad is open
    # the kiosk as a whole, kept across sessions:
    ready: bool = True  # holds a replica from the hub (False: starting up)
    troubles: tuple[tuple[Device, str], ...] = ()  # devices not working, with the driver's why
    unacked: int = 0  # records the hub is late acknowledging
    unacked_since: datetime | None = None
    lockouts: PinLockouts = field(default_factory=PinLockouts)  # wrong door PINs, per badge


DOOR_ALARM_TEXT = "Please close the cage door"
TROUBLE_TEXT = {
    Device.CAMERA: "Camera not working: type the code on the label",
    Device.READER: "Badge reader not working: please ask staff",
}
STARTING_TEXT = "Starting up, waiting for the hub"
STARTING_RETRY = f"{STARTING_TEXT}: please try again in a minute"
NOT_A_CODE = "That is not a label code: check it and try again"
CODE_KEYS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-._")
BACKSPACE = "backspace"
MAX_CODE = 64  # the longest asset code the wire contract allows
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


def cage_zone(settings: Settings) -> str:
    """The cage's time zone from the hub's policy (its opening hours); a hub that sets none
    keeps its rules in UTC, and so does the kiosk, whatever zone the Pi is set to."""
    return zone_of(settings.policy)


def _has(state: State, device: Device) -> bool:
    return any(d is device for d, _ in state.troubles)


def _staff_note(state: State, tz: str) -> str | None:
    if state.unacked <= 0:
        return None
    n = state.unacked
    since = f" since {format_clock(state.unacked_since, tz)}" if state.unacked_since else ""
    return f"Staff: {n} record{'' if n == 1 else 's'} not yet confirmed by the hub{since}"


def screen_for(state: State, settings: Settings, now: datetime) -> Screen:
    tz = cage_zone(settings)
    person = state.person
    if state.pin is not None:
        return PinScreen(
            state.pin.person.name,
            len(state.pin.typed),
            state.pin.message,
            state.offline,
            state.countdown,
        )
    if state.typing is not None:
        return CodeEntryScreen(
            state.typing,
            state.message,
            person.name if person is not None and state.mode is Mode.CART else None,
            state.offline,
            state.countdown,
            tz,
        )
    if state.mode is Mode.CART and person is not None:
        camera_down = _has(state, Device.CAMERA)
        message = state.message or (TROUBLE_TEXT[Device.CAMERA] if camera_down else None)
        return CartScreen(
            person.name,
            state.lines,
            message,
            state.offline,
            state.loans,
            staff=person.staff,
            stocktake=state.stocktake,
            countdown=state.countdown,
            can_type=camera_down,
            staff_note=_staff_note(state, tz) if person.staff else None,
            tz=tz,
        )
    if state.mode is Mode.RECEIPT and person is not None:
        return ReceiptScreen(person.name, state.lines, state.offline, tz)
    if state.mode is Mode.DENIED and state.denial is not None:
        return DeniedScreen(state.denial[0], state.denial[1], state.offline)
    station = settings.profile is Profile.STATION
    message = state.message or (DOOR_ALARM_TEXT if state.door_alarm else None)
    troubles = tuple(
        TROUBLE_TEXT[device]
        for device in (Device.CAMERA, Device.READER)
        if _has(state, device) and not (station and device is Device.READER)
    )
    return IdleScreen(
        settings.kiosk_name,
        now,
        state.offline,
        message,
        station,
        returned=state.returned,
        troubles=troubles,
        starting=not state.ready,
        can_type=station and _has(state, Device.CAMERA),
        staff_note=_staff_note(state, tz),
        tz=tz,
    )


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
        return _idle(state)
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
                return _idle(back), []
            if state.typing is not None:  # the keyboard's Cancel goes back, not out
                back = _idle(state) if state.mode is Mode.IDLE else state
                return replace(back, typing=None, message=None), []
            if state.stocktake and state.stash:  # stop counting, back to the cart set aside
                return _end_count(state, "Stopped counting"), []
            return (_idle(state), []) if state.mode is not Mode.IDLE else (state, [])
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
                return _pin_key(state, key), []
            return _type(state, key), []
        case PinKey(key=key):
            return _pin_key(state, key), []
        case PinEnter():
            return _pin_enter(state, now, settings)
        case BadgeTapped():
            if state.pin is not None:
                if event.uid == state.pin.badge:  # tapped again out of habit: keep typing
                    return state, []
                state = replace(state, pin=None, message=None)
            if state.typing is not None:
                state = replace(state, typing=None)
            return _badge(state, event, now, settings)
        case LabelScanned():
            if state.pin is not None:
                state = replace(state, pin=None)
            typed = state.typing is not None
            if typed and event.code is None:
                return replace(state, message=NOT_A_CODE), [Feedback(Signal.ERROR)]
            state = replace(state, typing=None, message=None) if typed else state
            if settings.profile is Profile.STATION:
                return _station_scan(state, event, now, settings)
            return _scan(state, event, now, settings)
        case RemoveItem(code=code):
            if state.mode is not Mode.CART:
                return state, []
            lines = tuple(line for line in state.lines if line.code != code)
            return replace(state, lines=lines, message=None), []
        case SetCondition(code=code, condition=condition):
            return _set_condition(state, code, lambda _old: condition.value), []
        case CycleCondition(code=code):
            return _set_condition(state, code, _next_condition), []
        case ExtendLoan(code=code):
            return _extend(state, code, now, settings)
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
            return _door(state, state.person, state.badge, now, settings)
        case Confirm():
            return _confirm(state, now, settings)
    return state, []


def _type(state: State, key: str) -> State:
    if state.typing is None:
        return state
    if key == BACKSPACE:
        return replace(state, typing=state.typing[:-1], message=None)
    key = key.upper()
    if len(key) != 1 or key not in CODE_KEYS or len(state.typing) >= MAX_CODE:
        return state
    return replace(state, typing=state.typing + key, message=None)


def _next_condition(condition: str) -> str:
    return CONDITIONS[(CONDITIONS.index(condition) + 1) % len(CONDITIONS)]


def _set_condition(state: State, code: str, choose: Callable[[str], str]) -> State:
    """Only a line coming back has a condition; a checkout or a refusal has none."""
    if state.mode is not Mode.CART:
        return state
    lines = tuple(
        replace(line, condition=choose(line.condition))
        if line.code == code and line.action is LineAction.RETURN
        else line
        for line in state.lines
    )
    return replace(state, lines=lines)


def _loan_now(loan: Loan, now: datetime, settings: Settings) -> Loan:
    overdue = loan.due <= now
    extendable = not overdue and loan.renewals < settings.policy.max_renewals
    return replace(loan, overdue=overdue, extendable=extendable)


def _extend(
    state: State, code: str, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """Renew a loan by one more loan period from its due time, within the policy's limit. A
    kit is renewed whole: the kit and every piece the person holds get one new due time
    (rules.kits), or none does."""
    loan = next((ln for ln in state.loans if ln.code == code), None)
    if state.mode is not Mode.CART or state.person is None or loan is None:
        return state, []
    unit = tuple(
        _loan_now(ln, now, settings)
        for ln in state.loans
        if ln.code == code or (loan.kit is not None and ln.kit == loan.kit)
    )
    name = next((ln.name for ln in unit if ln.code == loan.kit), loan.name)
    if state.person.blocked(now):
        text = f"{name} cannot be extended while your loans are paused"
        return replace(state, message=text), [Feedback(Signal.ERROR)]
    stuck = next((ln for ln in unit if not ln.extendable), None)
    if stuck is not None:
        why = "it is overdue" if stuck.overdue else "it was extended already"
        return replace(state, message=f"{name} cannot be extended: {why}"), [Feedback(Signal.ERROR)]
    due = kit_due(settings.policy, [ln.category for ln in unit], min(ln.due for ln in unit))
    if any(ln.booked_from is not None and due > ln.booked_from for ln in unit):
        text = f"{name} cannot be extended: someone has booked it"
        return replace(state, message=text), [Feedback(Signal.ERROR)]
    renewed = {
        ln.code: _loan_now(replace(ln, due=due, renewals=ln.renewals + 1), now, settings)
        for ln in unit
    }
    loans = tuple(renewed.get(ln.code, ln) for ln in state.loans)
    records: list[Effect] = [
        Record(
            EventType.EXTEND,
            session=state.session,
            badge=state.badge,
            person=state.person.id,
            asset=ln.code,
            due=due,
        )
        for ln in unit
    ]
    text = f"Extended: {name}"
    return replace(state, loans=loans, message=text, expires=now + settings.inactivity), [
        *records,
        Feedback(Signal.OK),
    ]


def _enroll_step(
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


def _door(
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


def _pin_key(state: State, key: str) -> State:
    entry = state.pin
    if entry is None:
        return state
    if key == BACKSPACE:
        return replace(state, pin=replace(entry, typed=entry.typed[:-1]))
    if len(key) != 1 or key not in PIN_KEYS or len(entry.typed) >= MAX_DIGITS:
        return state
    # a wrong PIN's "tries left" stays up while the next one is typed
    return replace(state, pin=replace(entry, typed=entry.typed + key))


def _pin_enter(state: State, now: datetime, settings: Settings) -> tuple[State, list[Effect]]:
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
            back = _idle(back)
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
        _idle(state),
        lockouts=lockouts,
        mode=Mode.DENIED,
        denial=(PIN_LOCKED_TITLE, locked_out_text(until, cage_zone(settings))),
        expires=now + settings.linger,
    )
    return locked, [Feedback(Signal.ERROR), rec]


def _idle(state: State, message: str | None = None) -> State:
    """Back to the start; what the kiosk knows about itself (network, door, devices, the hub)
    outlives the session."""
    return State(
        offline=state.offline,
        message=message,
        door_alarm=state.door_alarm,
        ready=state.ready,
        troubles=state.troubles,
        unacked=state.unacked,
        unacked_since=state.unacked_since,
        lockouts=state.lockouts,
    )


def _badge(
    state: State, event: BadgeTapped, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    person = event.person
    if settings.profile is Profile.STATION:
        if person is not None and person.staff:
            return _door(_idle(state), person, event.uid, now, settings)
        text = "No badge needed: show each item's label to return it"
        return replace(_idle(state), message=text, expires=now + settings.linger), [
            Feedback(Signal.ERROR)
        ]
    if state.mode is Mode.CART and state.enrolling is not False:
        return _enroll_step(state, event, now, settings)
    owner = state.person if state.mode is Mode.CART else None
    if owner is not None and person is not None and owner.id == person.id:
        return _confirm(state, now, settings)  # tapping the badge again confirms
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
        hint = replace(_idle(state), message=STARTING_RETRY, expires=now + settings.linger)
        return hint, [Feedback(Signal.ERROR)]
    if person is None:
        denied = replace(
            _idle(state),
            mode=Mode.DENIED,
            denial=("Badge not recognised", "Please ask staff to register your badge."),
            expires=now + settings.linger,
        )
        record = Record(EventType.DENIED, badge=event.uid, reason=DenialReason.UNKNOWN_BADGE)
        return denied, [Feedback(Signal.ERROR), record]
    session = f"{event.uid}-{int(now.timestamp() * 1000)}"
    loans = tuple(_loan_now(loan, now, settings) for loan in event.loans)
    started = replace(
        _idle(state),
        mode=Mode.CART,
        person=person,
        badge=event.uid,
        session=session,
        loans=loans,
        message=_welcome_message(person, loans, now, cage_zone(settings)),
        expires=now + settings.inactivity,
    )
    return started, [Feedback(Signal.OK)]


def _welcome_message(person: Person, loans: tuple[Loan, ...], now: datetime, tz: str) -> str | None:
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


def _scan(
    state: State, event: LabelScanned, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    if state.mode is not Mode.CART or state.person is None:
        hint = replace(_idle(state), message="Tap your badge first", expires=now + settings.linger)
        return hint, [Feedback(Signal.ERROR)]
    if event.code is None:
        text = "That code is not an equipment label"
        rec = Record(
            EventType.DENIED,
            session=state.session,
            badge=state.badge,
            person=state.person.id,
            reason=DenialReason.NOT_A_LABEL,
            detail=(event.error or "not a Cagekeeper label")[:200],  # never the raw content
        )
        return replace(state, message=text, expires=now + settings.inactivity), [
            Feedback(Signal.ERROR),
            rec,
        ]
    if any(line.code == event.code for line in state.lines):
        # shown again after it left the camera's view: already in the cart, nothing to add
        name = next(line.name for line in state.lines if line.code == event.code)
        text = f"{name} is already on the list"
        if state.stocktake:
            counted = sum(1 for ln in state.lines if ln.action is LineAction.COUNTED)
            text = f"Count: {counted} counted ({name} already)"
        return replace(state, message=text, expires=now + settings.inactivity), [
            Feedback(Signal.OK)
        ]
    if state.stocktake:
        return _count(state, event, state.person, now, settings)
    kit = event.item if event.item is not None and event.item.members else None
    due = None
    if kit is not None and kit.holder != state.person.id:  # a kit going out: one due time
        categories = (kit.category, *(piece.category for piece in kit.members))
        due = kit_due(settings.policy, categories, now)
    line, reason = _line_for(event, state, state.person, now, settings, due)
    lines = (*state.lines, line)
    detail = None
    if reason is None and kit is not None:
        lines, blocked = _with_kit_pieces(lines, kit, state, state.person, now, settings, due)
        if blocked is not None:
            reason, detail = blocked
    new = replace(state, lines=lines, message=None, expires=now + settings.inactivity)
    if reason is None:
        return new, [Feedback(Signal.OK)]
    rec = Record(
        EventType.DENIED,
        session=state.session,
        badge=state.badge,
        person=state.person.id,
        asset=event.code,
        reason=reason,
        detail=detail,
    )
    return new, [Feedback(Signal.ERROR), rec]


def _count(
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


def _with_kit_pieces(
    lines: tuple[CartLine, ...],
    kit: Item,
    state: State,
    person: Person,
    now: datetime,
    settings: Settings,
    due: datetime | None,
) -> tuple[tuple[CartLine, ...], tuple[DenialReason, str] | None]:
    """A kit's label brings its pieces into the cart. Coming back: the pieces the person
    holds (one returned already is not lent again). Going out: every piece, all due at the
    kit's one due time (rules.kits), or none of them: a piece that cannot go keeps the whole
    kit in, and the kit's line names it (returned with the reason and the denial's detail)."""
    kit_line = lines[-1]
    if kit_line.action is LineAction.RETURN:
        back = tuple(
            CartLine(piece.code, piece.name, LineAction.RETURN, kit=kit.code)
            for piece in kit.members
            if piece.holder == person.id and not any(ln.code == piece.code for ln in lines)
        )
        return (*lines, *back), None
    before: tuple[CartLine, ...] = lines[:-1]
    pieces: list[CartLine] = []
    for piece in kit.members:
        # a piece scanned on its own before the kit joins the kit's line and due time
        cart = (*(ln for ln in before if ln.code != piece.code), kit_line, *pieces)
        scanned = LabelScanned(raw=f"CK1:{piece.code}", code=piece.code, item=piece)
        line, reason = _line_for(scanned, replace(state, lines=cart), person, now, settings, due)
        if line.action is not LineAction.CHECKOUT:
            why = (
                "still on your loans: bring it back first"
                if line.action is LineAction.RETURN
                else line.reason or "cannot be lent"
            )
            blocker = Blocked(piece.code, piece.name, why)
            text = blocked_text(blocker)
            refused = replace(kit_line, action=LineAction.REFUSED, reason=text, due=None)
            denial = reason or DenialReason.HELD_BY_OTHER
            return (*before, refused), (denial, blocked_detail(kit.code, blocker))
        pieces.append(replace(line, kit=kit.code))
    kept = tuple(ln for ln in before if ln.code not in {p.code for p in pieces})
    return (*kept, kit_line, *pieces), None


def _line_for(
    event: LabelScanned,
    state: State,
    person: Person,
    now: datetime,
    settings: Settings,
    due: datetime | None = None,
) -> tuple[CartLine, DenialReason | None]:
    """The cart line a scan makes; ``due``: the due time if the item goes out (a kit's one
    due time), else its category's."""
    assert event.code is not None
    item = event.item
    if item is None:
        reason = DenialReason.UNKNOWN_ITEM
        return CartLine(event.code, event.code, LineAction.REFUSED, REFUSAL_TEXT[reason]), reason
    cart = Cart(
        held=tuple(loan.code for loan in state.loans),
        overdue=any(loan.overdue for loan in state.loans),
        returning=frozenset(ln.code for ln in state.lines if ln.action is LineAction.RETURN),
        taking=sum(1 for ln in state.lines if ln.action is LineAction.CHECKOUT),
    )
    verdict = judge(item, person, cart, now, settings.policy, due)
    line = CartLine(
        item.code, item.name, LineAction(verdict.action.value), verdict.text, verdict.due
    )
    return line, verdict.reason


def _confirm(state: State, now: datetime, settings: Settings) -> tuple[State, list[Effect]]:
    if state.mode is not Mode.CART or state.person is None:
        return state, []
    if state.stocktake:  # each scan was recorded as it came; this only ends the count
        if state.stash:  # back to the cart that waited aside
            return _end_count(state, "Count done"), [Feedback(Signal.DONE)]
        done = replace(
            state, mode=Mode.RECEIPT, stocktake=False, message=None, expires=now + settings.linger
        )
        return done, [Feedback(Signal.DONE)]
    actionable = [line for line in state.lines if line.action is not LineAction.REFUSED]
    if not actionable:
        text = (
            "Nothing here can be lent or returned: see the reasons above"
            if state.lines
            else "Scan an item first"
        )
        return replace(state, message=text), [Feedback(Signal.ERROR)]
    # A kit piece reported missing is not returned: it stays on the person's loans, and the
    # kit goes back marked incomplete with the missing pieces named.
    missing: dict[str, list[str]] = {}
    for line in actionable:
        if line.kit and line.action is LineAction.RETURN and line.condition == "missing_part":
            missing.setdefault(line.kit, []).append(line.code)
    effects: list[Effect] = []
    shown: list[CartLine] = []
    for line in actionable:
        if line.kit and line.code in missing.get(line.kit, ()):
            shown.append(
                replace(
                    line, action=LineAction.REFUSED, reason="Reported missing: still on your loans"
                )
            )
            continue
        kind = EventType.CHECKOUT if line.action is LineAction.CHECKOUT else EventType.RETURN
        condition, detail = None, None
        if kind is EventType.RETURN:
            condition = ReturnCondition(line.condition)
            if line.code in missing:
                if condition is ReturnCondition.OK:
                    condition = ReturnCondition.MISSING_PART
                detail = "missing: " + ", ".join(missing[line.code])
        effects.append(
            Record(
                kind,
                session=state.session,
                badge=state.badge,
                person=state.person.id,
                asset=line.code,
                due=line.due,
                condition=condition,
                detail=detail,
            )
        )
        shown.append(line)
    effects.append(Feedback(Signal.DONE))
    receipt = replace(
        state,
        mode=Mode.RECEIPT,
        lines=tuple(shown),
        message=None,
        expires=now + settings.linger,
    )
    return receipt, effects


def _end_count(state: State, how: str) -> State:
    """The count is over (each scan was recorded as it came): the cart comes back whole."""
    counted = sum(1 for line in state.lines if line.action is LineAction.COUNTED)
    text = f"{how}: {counted} counted. Your items are still here"
    return replace(state, stocktake=False, lines=state.stash, stash=(), message=text)


def _station_scan(
    state: State, event: LabelScanned, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    if event.code is None:
        return replace(
            _idle(state),
            message="That code is not an equipment label",
            expires=now + settings.linger,
        ), [Feedback(Signal.ERROR)]
    item = event.item
    if item is None and state.ready:
        text = "Unknown item: please hand it to staff"
        return replace(_idle(state), message=text, expires=now + settings.linger), [
            Feedback(Signal.ERROR)
        ]
    # Taken back even when this station's replica does not know it is out (it may be behind,
    # or not there yet while starting up); the hub's projection ignores a return of an item
    # nobody holds.
    # one session per scan, so a kit's pieces coming back late count as one late return
    session = f"return-{int(now.timestamp() * 1000)}"
    # a kit comes back with its pieces; where the replica knows who has the kit, only with
    # those still out (one returned on its own already is not returned again)
    known = item is not None and item.holder is not None
    pieces = (
        (item, *(p for p in item.members if p.holder is not None or not known))
        if item is not None
        else ()
    )
    records: list[Effect] = (
        [
            Record(EventType.RETURN, session=session, person=piece.holder, asset=piece.code)
            for piece in pieces
        ]
        if item is not None
        else [Record(EventType.RETURN, session=session, asset=event.code)]
    )
    name = item.name if item is not None else event.code
    done = replace(
        _idle(state), message=f"Returned: {name}", returned=name, expires=now + settings.linger
    )
    return done, [*records, Feedback(Signal.OK)]


# the screen's taps ---------------------------------------------------------------------------

_CONDITION_ACTION = "condition:"


def ui_input(action: str, code: str | None = None) -> Input | None:
    """The session input a tap on a drawn button means (see kiosk.ui's Button.action); None
    for taps that are not session inputs ("quit") or need the app ("enter": the typed code is
    looked up in the replica like a scanned label, see ``typed_label``; on the PIN pad it is
    ``PinEnter``)."""
    match action:
        case "confirm":
            return Confirm()
        case "cancel" | "done":
            return Cancel()
        case "remove" if code:
            return RemoveItem(code)
        case str() if action.startswith(_CONDITION_ACTION) and code:
            try:
                condition = ReturnCondition(action.removeprefix(_CONDITION_ACTION))
            except ValueError:
                return None
            return SetCondition(code, condition)
        case "condition" if code:
            return CycleCondition(code)
        case "extend" if code:
            return ExtendLoan(code)
        case "unlock":
            return UnlockDoor()
        case "enroll":
            return StartEnroll()
        case "stocktake":
            return StartStocktake()
        case "type":
            return StartTyping()
        case "key" if code:
            return TypeKey(code)
        case "still_here" | "touch":
            return StillHere()
    return None


def typed_label(typed: str) -> str:
    """What a typed code is, as a label's content: the compact form printed labels carry, so
    it is resolved exactly as a scanned label is."""
    return compact_label(typed.strip().upper())
