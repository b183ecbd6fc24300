"""Which screen a state shows: the session decides it, the UI draws it."""

from __future__ import annotations

from datetime import datetime

from kiosk.screens import (
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    IdleScreen,
    PinScreen,
    ReceiptScreen,
    Screen,
    format_clock,
    reservation_text,
)
from kiosk.session.inputs import Device
from kiosk.session.model import Mode, Profile, Settings, State, cage_zone
from kiosk.session.pickup import still_to_scan

DOOR_ALARM_TEXT = "Please close the cage door"


TROUBLE_TEXT = {
    Device.CAMERA: "Camera not working: type the code on the label",
    Device.READER: "Badge reader not working: please ask staff",
}


STARTING_TEXT = "Starting up, waiting for the hub"


STARTING_RETRY = f"{STARTING_TEXT}: please try again in a minute"


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
            reserved=() if state.stocktake else still_to_scan(state),
            reservation=(
                reservation_text(state.reserved, now, tz)
                if state.reserved and not state.stocktake
                else None
            ),
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
