"""The session, pure: returns at the counter and at a return station, with their condition."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from kiosk.screens import CartScreen, IdleScreen, ReceiptScreen
from kiosk.session import (
    BadgeTapped,
    Confirm,
    CycleCondition,
    Feedback,
    Item,
    Profile,
    SetCondition,
    Settings,
    Signal,
    State,
    Tick,
    screen_for,
    step,
)
from tests.session_steps import (
    ADA,
    BODY,
    CAMERA,
    LENS,
    SETTINGS,
    T0,
    last_screen,
    records,
    run,
    scan,
)
from wire import EventType, ReturnCondition


def test_item_held_by_the_same_person_is_a_return() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    _, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0), (Confirm(), T0)])
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.RETURN, "CAM-1")]


def test_return_station_returns_on_scan_without_badge() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    _, effects = run([(scan(held), T0)], settings=station)
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", "ada")
    ]
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == "Returned: Camera"
    assert idle.returned == "Camera"  # the whole screen says so, readable from the door
    _, effects = run([(scan(None, "GHOST-1"), T0)], settings=station)
    assert records(effects) == [] and Feedback(Signal.ERROR) in effects
    _, effects = run([(scan(CAMERA), T0)], settings=station)  # not known to be out: still taken
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", None)
    ]


def test_a_return_line_offers_each_condition_as_its_own_choice() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0), (scan(LENS), T0)])
    for chosen in (ReturnCondition.MISSING_PART, ReturnCondition.OK, ReturnCondition.DAMAGED):
        state, effects = step(state, SetCondition("CAM-1", chosen), T0, SETTINGS)
        cart = last_screen(effects)
        assert isinstance(cart, CartScreen) and cart.lines[0].condition == chosen.value
    state, _ = step(state, SetCondition("LENS-1", ReturnCondition.DAMAGED), T0, SETTINGS)
    _, effects = step(state, Confirm(), T0, SETTINGS)  # a checkout has no condition
    assert [(r.type, r.asset, r.condition) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", ReturnCondition.DAMAGED),
        (EventType.CHECKOUT, "LENS-1", None),
    ]
    receipt = last_screen(effects)  # the receipt says what was reported
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.condition) for ln in receipt.lines] == [
        ("CAM-1", "damaged"),
        ("LENS-1", "ok"),
    ]


def test_scripted_drivers_can_still_step_through_the_conditions() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0)])
    for expected in ("damaged", "missing_part", "ok"):
        state, _ = step(state, CycleCondition("CAM-1"), T0, SETTINGS)
        assert state.lines[0].condition == expected


def test_a_kit_goes_out_as_one_scan_with_its_pieces() -> None:
    _state, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(BODY), T0), (Confirm(), T0)])
    assert [(r.type, r.asset) for r in records(effects)] == [
        (EventType.CHECKOUT, "KIT-1"),
        (EventType.CHECKOUT, "LENS-9"),
        (EventType.CHECKOUT, "BATT-9"),
    ]
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.kit) for ln in receipt.lines] == [
        ("KIT-1", None),
        ("LENS-9", "KIT-1"),
        ("BATT-9", "KIT-1"),
    ]


def test_a_kit_back_with_a_piece_missing_keeps_it_on_loan_and_flags_the_kit() -> None:
    held = replace(
        BODY, holder="ada", members=tuple(replace(m, holder="ada") for m in BODY.members)
    )
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0)])
    state, _ = step(state, SetCondition("BATT-9", ReturnCondition.MISSING_PART), T0, SETTINGS)
    _, effects = step(state, Confirm(), T0, SETTINGS)
    assert [(r.type, r.asset, r.condition, r.detail) for r in records(effects)] == [
        (EventType.RETURN, "KIT-1", ReturnCondition.MISSING_PART, "missing: BATT-9"),
        (EventType.RETURN, "LENS-9", ReturnCondition.OK, None),
    ]
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert receipt.lines[2].reason == "Reported missing: still on your loans"


def test_a_return_station_takes_a_kit_back_whole() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    held = replace(
        BODY, holder="ada", members=tuple(replace(m, holder="ada") for m in BODY.members)
    )
    _, effects = run([(scan(held), T0)], settings=station)
    assert [r.asset for r in records(effects)] == ["KIT-1", "LENS-9", "BATT-9"]
    # a station that does not know the kit is out (its replica behind) takes it all back
    _, effects = run([(scan(BODY), T0)], settings=station)
    assert [r.asset for r in records(effects)] == ["KIT-1", "LENS-9", "BATT-9"]


def test_a_return_station_invites_a_scan_not_a_badge() -> None:
    station = replace(SETTINGS, profile=Profile.STATION)
    idle = screen_for(State(), station, T0)
    assert isinstance(idle, IdleScreen) and idle.station
    assert not cast(IdleScreen, screen_for(State(), SETTINGS, T0)).station


def test_a_station_return_fills_the_screen_then_goes() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, effects = run([(scan(replace(LENS, holder="ada")), T0)], settings=station)
    shown = last_screen(effects)
    assert isinstance(shown, IdleScreen) and shown.returned == "Lens"
    state, effects = step(state, Tick(), T0 + station.linger, station)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.returned is None and idle.station
