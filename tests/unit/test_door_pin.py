"""The door PIN in the session, pure: a staff badge asks for its owner's PIN before the door
opens, wrong PINs count, and five in a row lock that badge out at this kiosk for a while."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kiosk.pin_lockout import PinLockouts
from kiosk.screens import CartScreen, DeniedScreen, IdleScreen, PinScreen
from kiosk.session import (
    BACKSPACE,
    DOOR_UNLOCKED,
    NO_PIN_TEXT,
    PIN_CHECKED,
    PIN_LOCKED_TITLE,
    PIN_TOO_SHORT,
    BadgeTapped,
    Cancel,
    Confirm,
    DoorSettings,
    Effect,
    Feedback,
    Input,
    Person,
    PinEnter,
    PinKey,
    Profile,
    RemoveItem,
    Settings,
    Signal,
    StartStocktake,
    StartTyping,
    State,
    StillHere,
    Tick,
    Unlock,
    UnlockDoor,
    step,
    ui_input,
    wrong_pin_text,
)
from tests.session_steps import ADA, CAMERA, T0, last_screen, records, scan
from wire import DenialReason, EventType
from wire.pins import hash_pin

PIN = "2468"
# a cheap cost: the format and the check are the real ones, only faster
SAM = Person("sam", "Sam Staff", staff=True, pin=hash_pin(PIN, log2_n=4))
SAM_BADGE = "0A0B0C0D"
STATION = Settings(kiosk_name="Door", profile=Profile.STATION, unlock_seconds=6)
CAGE = Settings(kiosk_name="Cage")


def feed(
    inputs: list[Input], settings: Settings, state: State | None = None, at: timedelta = timedelta()
) -> tuple[State, list[Effect]]:
    state = state or State()
    effects: list[Effect] = []
    for inp in inputs:
        state, out = step(state, inp, T0 + at, settings)
        effects += out
    return state, effects


def typed(pin: str) -> list[Input]:
    keys: list[Input] = [PinKey(d) for d in pin]
    return [*keys, PinEnter()]


def unlocked(effects: list[Effect]) -> bool:
    return any(isinstance(e, Unlock) for e in effects)


def test_a_pin_is_required_by_default() -> None:
    assert Settings(kiosk_name="x").door.require_pin
    assert DoorSettings().attempts == 5


def test_a_staff_badge_at_a_station_asks_for_the_pin_and_the_right_one_opens() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM)], STATION)
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.person_name == "Sam Staff" and pad.entered == 0
    assert not unlocked(effects) and records(effects) == []
    state, effects = feed([PinKey("2"), PinKey("4")], STATION, state)
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.entered == 2
    assert "24" not in repr(pad) and "24" not in repr(state)  # the digits are never shown
    state, effects = feed([PinKey("6"), PinKey("8"), PinEnter()], STATION, state)
    assert Unlock(6) in effects and Feedback(Signal.OK) in effects
    assert [(r.type, r.person, r.badge, r.detail) for r in records(effects)] == [
        (EventType.DOOR_UNLOCKED, "sam", SAM_BADGE, PIN_CHECKED)
    ]
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == DOOR_UNLOCKED and state.pin is None


def test_a_wrong_pin_says_so_and_keeps_the_pad_open() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM), *typed("1357")], STATION)
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.message == wrong_pin_text(4) and pad.entered == 0
    assert not unlocked(effects) and records(effects) == [] and Feedback(Signal.ERROR) in effects
    # the right one after a wrong one still opens, and forgets the wrong one
    state, effects = feed(typed(PIN), STATION, state)
    assert unlocked(effects) and state.lockouts == PinLockouts()


def test_five_wrong_pins_lock_the_badge_out_and_tell_the_hub() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM)], STATION)
    for left in (4, 3, 2, 1):
        state, effects = feed(typed("0000"), STATION, state)
        pad = last_screen(effects)
        assert isinstance(pad, PinScreen) and pad.message == wrong_pin_text(left)
    state, effects = feed(typed("0000"), STATION, state)
    denied = last_screen(effects)
    assert isinstance(denied, DeniedScreen) and denied.title == PIN_LOCKED_TITLE
    assert "09:35" in denied.reason  # T0 is 09:30 UTC; five minutes by default
    [rec] = records(effects)
    assert (rec.type, rec.reason, rec.person, rec.badge) == (
        EventType.DENIED,
        DenialReason.PIN_LOCKOUT,
        "sam",
        SAM_BADGE,
    )
    assert rec.detail and "5 wrong PINs" in rec.detail
    assert not unlocked(effects)

    # locked: even the right PIN is not asked for, at a station or in a session
    state, effects = feed(
        [Tick(), BadgeTapped(SAM_BADGE, SAM)], STATION, state, timedelta(minutes=1)
    )
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message and "09:35" in idle.message
    assert state.pin is None and not unlocked(effects) and records(effects) == []
    cage_state, effects = feed(
        [BadgeTapped(SAM_BADGE, SAM), UnlockDoor()], CAGE, replace(State(), lockouts=state.lockouts)
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.message and "09:35" in cart.message
    assert cage_state.pin is None and not unlocked(effects)

    # another staff badge is not locked out
    other = Person("kim", "Kim Staff", staff=True, pin=hash_pin("1111", log2_n=4))
    _, effects = feed([BadgeTapped("0E0E0E0E", other), *typed("1111")], STATION, state)
    assert unlocked(effects)

    # after the lockout, the badge tries again with its full count
    later = timedelta(minutes=5, seconds=1)
    state, effects = feed([Tick(), BadgeTapped(SAM_BADGE, SAM), *typed(PIN)], STATION, state, later)
    assert unlocked(effects)


def test_the_lockout_lasts_as_configured() -> None:
    short = replace(STATION, door=DoorSettings(attempts=2, lockout=timedelta(seconds=90)))
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM), *typed("0000"), *typed("0000")], short)
    assert [r.reason for r in records(effects)] == [DenialReason.PIN_LOCKOUT]
    assert state.lockouts.locked_until(SAM_BADGE, T0) == T0 + timedelta(seconds=90)
    _, effects = feed([BadgeTapped(SAM_BADGE, SAM)], short, state, timedelta(seconds=89))
    assert not isinstance(last_screen(effects), PinScreen)
    _, effects = feed([BadgeTapped(SAM_BADGE, SAM)], short, state, timedelta(seconds=90))
    assert isinstance(last_screen(effects), PinScreen)


def test_staff_without_a_pin_are_told_to_ask_a_manager() -> None:
    no_pin = replace(SAM, pin=None)
    state, effects = feed([BadgeTapped(SAM_BADGE, no_pin)], STATION)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == NO_PIN_TEXT
    assert not unlocked(effects) and state.pin is None
    # a hash the kiosk cannot check counts as none
    broken = replace(SAM, pin="$scrypt$garbage")
    _, effects = feed([BadgeTapped(SAM_BADGE, broken)], STATION)
    assert last_screen(effects) == replace(idle, message=NO_PIN_TEXT)


def test_open_door_in_a_staff_session_asks_for_the_pin_and_returns_to_the_cart() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM), scan(CAMERA), UnlockDoor()], CAGE)
    assert isinstance(last_screen(effects), PinScreen) and not unlocked(effects)
    state, effects = feed(typed(PIN), CAGE, state)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.message == DOOR_UNLOCKED
    assert [ln.code for ln in cart.lines] == ["CAM-1"]  # the cart waited
    assert unlocked(effects)
    # Cancel on the pad goes back to the cart, not out of the session
    state, _ = feed([UnlockDoor()], CAGE, state)
    state, effects = feed([Cancel()], CAGE, state)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and [ln.code for ln in cart.lines] == ["CAM-1"]


def test_students_never_get_the_pad() -> None:
    state, effects = feed([BadgeTapped("04A1", ADA), UnlockDoor()], CAGE)
    assert state.pin is None and not unlocked(effects)
    _, effects = feed([BadgeTapped("04A1", ADA)], STATION)
    assert not isinstance(last_screen(effects), PinScreen)


def test_an_untouched_pad_goes_back_to_idle() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM), UnlockDoor(), PinKey("2")], CAGE)
    timeout = CAGE.door.timeout
    state, effects = feed([Tick()], CAGE, state, timeout - timedelta(seconds=10))
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.countdown == 10  # "Still there?" first
    state, _ = feed([StillHere()], CAGE, state, timeout - timedelta(seconds=10))
    assert state.pin is not None and state.countdown is None
    state, effects = feed([Tick()], CAGE, state, 2 * timeout)
    assert isinstance(last_screen(effects), IdleScreen)
    assert state.pin is None and state.person is None and not unlocked(effects)


def test_keys_beyond_eight_digits_and_other_keys_are_ignored() -> None:
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM), *[PinKey("1")] * 12], STATION)
    assert state.pin is not None and len(state.pin.typed) == 8
    for key in ("A", "12", "", "\u0663"):  # an Arabic-Indic three is a digit, not a key here
        state, _ = feed([PinKey(key)], STATION, state)
    assert state.pin is not None and len(state.pin.typed) == 8
    state, _ = feed([PinKey(BACKSPACE)], STATION, state)
    assert state.pin is not None and len(state.pin.typed) == 7


def test_too_short_a_pin_is_not_counted_as_wrong() -> None:
    state, effects = feed([BadgeTapped(SAM_BADGE, SAM), *typed("24")], STATION)
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.message == PIN_TOO_SHORT
    assert state.lockouts == PinLockouts()


def test_a_badge_tap_while_typing() -> None:
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM), PinKey("2")], STATION)
    same, effects = feed([BadgeTapped(SAM_BADGE, SAM)], STATION, state)
    assert same == state and effects == []  # the same badge again: keep typing
    other = Person("kim", "Kim Staff", staff=True, pin=hash_pin("1111", log2_n=4))
    state, effects = feed([BadgeTapped("0E0E0E0E", other)], STATION, state)
    pad = last_screen(effects)
    assert isinstance(pad, PinScreen) and pad.person_name == "Kim Staff" and pad.entered == 0


def test_a_return_at_the_station_still_works_with_the_pad_open() -> None:
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM)], STATION)
    state, effects = feed([scan(CAMERA)], STATION, state)
    assert state.pin is None and [r.type for r in records(effects)] == [EventType.RETURN]


def test_the_screens_keys_type_on_the_pad() -> None:
    """The pad's keys are the on-screen keyboard's (so a PIN like 1111 is not debounced)."""
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM)], STATION)
    inputs = [ui_input("key", d) for d in PIN] + [ui_input("key", "backspace")]
    state, _ = feed([i for i in inputs if i is not None], STATION, state)
    assert state.pin is not None and state.pin.typed == PIN[:-1] and state.typing is None


def test_a_lockout_outlives_the_session_and_the_kiosks_other_news() -> None:
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM), *typed("0000") * 5], STATION)
    assert state.lockouts.locked_until(SAM_BADGE, T0) is not None
    state, _ = feed([Tick()], STATION, state, timedelta(seconds=30))  # the denial clears
    state, _ = feed([Cancel(), BadgeTapped("04A1", ADA), Cancel()], CAGE, state)
    assert state.lockouts.locked_until(SAM_BADGE, T0 + timedelta(seconds=30)) is not None


def test_the_pad_ignores_what_it_does_not_offer() -> None:
    """A physical Confirm button pressed while the pad is up confirms nothing behind it."""
    state, _ = feed([BadgeTapped(SAM_BADGE, SAM), scan(CAMERA), UnlockDoor(), PinKey("2")], CAGE)
    for inp in (Confirm(), StartTyping(), StartStocktake(), RemoveItem("CAM-1"), UnlockDoor()):
        after, effects = feed([inp], CAGE, state)
        assert after == replace(state, expires=after.expires) and records(effects) == []
