"""The session, pure: what staff do at a kiosk (unlock the door, enrol a badge, count the
shelf) and the door held open."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from kiosk.screens import CartScreen, IdleScreen, LineAction, ReceiptScreen
from kiosk.session import (
    BadgeTapped,
    Cancel,
    Confirm,
    DoorAlarm,
    DoorSettings,
    Person,
    Profile,
    Settings,
    StartEnroll,
    StartStocktake,
    Unlock,
    UnlockDoor,
    step,
)
from tests.session_steps import ADA, CAMERA, LENS, SETTINGS, T0, last_screen, records, run, scan
from wire import EventType


def test_staff_badge_at_a_return_station_unlocks_the_door() -> None:
    # without a PIN (see tests/unit/test_door_pin.py for the door with one)
    station = Settings(
        kiosk_name="Door",
        profile=Profile.STATION,
        unlock_seconds=7,
        door=DoorSettings(require_pin=False),
    )
    sam = Person("sam", "Sam Staff", staff=True)
    _, effects = run([(BadgeTapped("0A0B", sam), T0)], settings=station)
    assert Unlock(7) in effects
    assert [(r.type, r.person, r.badge) for r in records(effects)] == [
        (EventType.DOOR_UNLOCKED, "sam", "0A0B")
    ]
    _, effects = run([(BadgeTapped("04A1", ADA), T0)], settings=station)
    assert not any(isinstance(e, Unlock) for e in effects) and records(effects) == []
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message and "No badge needed" in idle.message


def test_only_staff_can_unlock_from_a_session() -> None:
    no_pin = replace(SETTINGS, door=DoorSettings(require_pin=False))
    sam = Person("sam", "Sam Staff", staff=True)
    state, effects = run([(BadgeTapped("0A0B", sam), T0)], settings=no_pin)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.staff
    _, effects = step(state, UnlockDoor(), T0, no_pin)
    assert Unlock(SETTINGS.unlock_seconds) in effects
    state, effects = run([(BadgeTapped("04A1", ADA), T0)], settings=no_pin)
    _, effects = step(state, UnlockDoor(), T0, no_pin)
    assert effects == []


def test_staff_enrol_a_new_badge_for_a_known_person() -> None:
    sam = Person("sam", "Sam Staff", staff=True)
    state, _ = run([(BadgeTapped("0A0B", sam), T0)])
    state, effects = step(state, StartEnroll(), T0, SETTINGS)
    assert state.message == "Enrol a badge: tap the person's current badge"
    state, _ = step(state, BadgeTapped("FFFF0001", None), T0, SETTINGS)  # not registered
    assert state.message and "not registered" in state.message
    state, _ = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    assert state.message == "Now tap the new badge for Ada Lovelace"
    state, effects = step(state, BadgeTapped("0ABCDEF0", None), T0, SETTINGS)
    assert [(r.type, r.person, r.badge) for r in records(effects)] == [
        (EventType.ENROLL, "ada", "0ABCDEF0")
    ]
    assert state.message == "Badge enrolled for Ada Lovelace" and state.enrolling is False
    ada_state, _ = run([(BadgeTapped("04A1", ADA), T0)])
    assert step(ada_state, StartEnroll(), T0, SETTINGS)[1] == []  # only staff may enrol


def test_staff_count_the_shelf_and_each_scan_is_recorded_as_seen() -> None:
    staff = Person("sam", "Sam Staff", staff=True)
    held = replace(LENS, holder="ada")
    state, effects = run([(BadgeTapped("0A0B", staff), T0), (StartStocktake(), T0)])
    screen = last_screen(effects)
    assert isinstance(screen, CartScreen) and "Count:" in (screen.message or "")
    state, effects = run(
        [(scan(CAMERA), T0), (scan(held), T0), (scan(CAMERA), T0), (scan(None, "NOPE-1"), T0)],
        state=state,
    )
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.SEEN, "CAM-1", "sam"),
        (EventType.SEEN, "LENS-1", "sam"),  # custody does not matter to a count
    ]
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(ln.code, ln.action) for ln in cart.lines] == [
        ("CAM-1", LineAction.COUNTED),
        ("LENS-1", LineAction.COUNTED),
        ("NOPE-1", LineAction.REFUSED),
    ]
    assert cart.message == "Count: 2 counted (Camera already)"
    state, effects = run([(Confirm(), T0)], state=state)
    assert isinstance(last_screen(effects), ReceiptScreen) and records(effects) == []


def test_only_staff_may_count() -> None:
    state, effects = run([(BadgeTapped("04A1", ADA), T0), (StartStocktake(), T0)])
    assert not state.stocktake
    _state, effects = run([(scan(CAMERA), T0)], state=state)
    assert records(effects) == []


def test_a_door_held_open_is_asked_to_be_closed_until_it_shuts() -> None:
    state, effects = run([(DoorAlarm(True), T0)])
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == "Please close the cage door"
    # a session in between does not lose the request
    state, _ = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    state, effects = step(state, Cancel(), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).message == "Please close the cage door"
    state, effects = step(state, DoorAlarm(False), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).message is None


def test_counting_the_shelf_keeps_the_cart_for_afterwards() -> None:
    sam = Person("sam", "Sam Staff", staff=True)
    state, _ = run([(BadgeTapped("0A0B", sam), T0), (scan(CAMERA), T0)])
    state, effects = step(state, StartStocktake(), T0, SETTINGS)
    counting = last_screen(effects)
    assert isinstance(counting, CartScreen) and counting.stocktake and not counting.lines
    state, effects = run([(scan(LENS), T0), (Confirm(), T0)], state=state)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.SEEN, "LENS-1")]
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and not cart.stocktake
    assert [(ln.code, ln.action) for ln in cart.lines] == [("CAM-1", LineAction.CHECKOUT)]
    assert cart.message == "Count done: 1 counted. Your items are still here"
    # Cancel while counting stops the count; the cart is still there
    counting, _ = run([(StartStocktake(), T0), (Cancel(), T0)], state=state)
    assert counting.mode.value == "cart" and [ln.code for ln in counting.lines] == ["CAM-1"]
    assert counting.message == "Stopped counting: 0 counted. Your items are still here"
    _, effects = step(state, Confirm(), T0, SETTINGS)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.CHECKOUT, "CAM-1")]
