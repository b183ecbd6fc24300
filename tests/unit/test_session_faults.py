"""The session, pure: failures the screen shows (camera, badge reader, starting up, records
the hub has not taken)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from kiosk.screens import CartScreen, CodeEntryScreen, IdleScreen
from kiosk.session import (
    BACKSPACE,
    NOT_A_CODE,
    STARTING_RETRY,
    AcksOverdue,
    BadgeTapped,
    Cancel,
    Device,
    DeviceTrouble,
    Feedback,
    LabelScanned,
    Person,
    Profile,
    ReplicaState,
    Settings,
    Signal,
    StartTyping,
    Tick,
    TypeKey,
    step,
)
from tests.session_steps import ADA, CAMERA, LENS, SETTINGS, T0, last_screen, records, run, scan
from wire import DenialReason, EventType


def test_a_camera_fault_offers_typing_the_code_and_the_typed_code_is_a_scan() -> None:
    state, effects = run(
        [
            (DeviceTrouble(Device.CAMERA, "no frames for 10 s"), T0),
            (BadgeTapped("04A1", ADA), T0),
        ]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.can_type
    assert cart.message == "Camera not working: type the code on the label"
    state, effects = run(
        [(StartTyping(), T0), *[(TypeKey(k), T0) for k in "cam-0x"], (TypeKey(BACKSPACE), T0)],
        state=state,
    )
    keyboard = last_screen(effects)
    assert isinstance(keyboard, CodeEntryScreen) and keyboard.typed == "CAM-0"
    assert keyboard.person_name == "Ada Lovelace"
    # a typo is not a foreign code: said on the keyboard, nothing recorded
    state, effects = step(state, LabelScanned("CK1:-", None, None, "invalid"), T0, SETTINGS)
    assert records(effects) == [] and Feedback(Signal.ERROR) in effects
    assert cast(CodeEntryScreen, last_screen(effects)).message == NOT_A_CODE
    state, effects = step(state, scan(CAMERA), T0, SETTINGS)  # "Look up" found it
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and [ln.code for ln in cart.lines] == ["CAM-1"]
    # Cancel on the keyboard goes back to the cart, not out of the session
    state, _ = run([(StartTyping(), T0), (Cancel(), T0)], state=state)
    assert state.mode.value == "cart" and state.typing is None and len(state.lines) == 1
    state, effects = step(state, DeviceTrouble(Device.CAMERA, None), T0, SETTINGS)
    assert not cast(CartScreen, last_screen(effects)).can_type


def test_a_reader_fault_asks_for_staff_on_the_idle_screen() -> None:
    state, effects = run([(DeviceTrouble(Device.READER, "SPI timeout"), T0)])
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen)
    assert idle.troubles == ("Badge reader not working: please ask staff",)
    state, effects = run([(scan(CAMERA), T0), (Tick(), T0 + SETTINGS.linger)], state=state)
    assert cast(IdleScreen, last_screen(effects)).troubles  # outlives other messages
    _, effects = step(state, DeviceTrouble(Device.READER, None), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).troubles == ()


def test_a_station_whose_camera_is_down_takes_returns_by_typed_code() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, effects = run([(DeviceTrouble(Device.CAMERA, "gone"), T0)], settings=station)
    assert cast(IdleScreen, last_screen(effects)).can_type
    state, effects = run(
        [(StartTyping(), T0), *[(TypeKey(k), T0) for k in "LENS-1"]],
        settings=station,
        state=state,
    )
    assert cast(CodeEntryScreen, last_screen(effects)).person_name is None
    _, effects = step(state, scan(replace(LENS, holder="ada")), T0, station)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.RETURN, "LENS-1")]
    assert cast(IdleScreen, last_screen(effects)).returned == "Lens"


def test_starting_up_nobody_is_refused_and_nothing_is_recorded_as_denied() -> None:
    state, effects = run([(ReplicaState(False), T0)])
    assert cast(IdleScreen, last_screen(effects)).starting
    state, effects = step(state, BadgeTapped("04A1", None), T0, SETTINGS)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == STARTING_RETRY
    assert records(effects) == []
    state, effects = step(state, ReplicaState(True), T0, SETTINGS)
    assert not cast(IdleScreen, last_screen(effects)).starting
    _, effects = step(state, BadgeTapped("04A1", None), T0, SETTINGS)  # now a stranger
    assert [r.reason for r in records(effects)] == [DenialReason.UNKNOWN_BADGE]


def test_starting_up_the_door_station_still_takes_returns_it_cannot_name_yet() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, _ = run([(ReplicaState(False), T0)], settings=station)
    _, effects = step(state, scan(None, "LENS-1"), T0, station)
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "LENS-1", None)
    ]
    assert cast(IdleScreen, last_screen(effects)).returned == "LENS-1"


def test_records_the_hub_has_not_taken_are_shown_to_staff_not_students() -> None:
    since = datetime(2026, 3, 2, 14, 2, tzinfo=UTC)
    state, effects = run([(AcksOverdue(3, since), T0)])
    note = "Staff: 3 records not yet confirmed by the hub since 14:02"
    assert cast(IdleScreen, last_screen(effects)).staff_note == note
    _, effects = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    assert cast(CartScreen, last_screen(effects)).staff_note is None
    sam = Person("sam", "Sam Staff", staff=True)
    _, effects = step(state, BadgeTapped("0A0B", sam), T0, SETTINGS)
    assert cast(CartScreen, last_screen(effects)).staff_note == note
    _, effects = step(state, AcksOverdue(0), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).staff_note is None
