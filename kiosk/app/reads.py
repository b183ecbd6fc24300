"""What a reading or a tap means to the session: a badge's UID or a label's text resolved
against the replica, and a tap on the screen turned into the session's input.

Device threads only queue the raw reading (``BadgeRead``, ``CodeRead``); the session thread
resolves it here, against one whole view of the replica."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices import Tap
from kiosk.replica import Replica
from kiosk.screens import HeldItem
from kiosk.session import (
    BadgeTapped,
    Input,
    LabelScanned,
    PinEnter,
    State,
    typed_label,
    ui_input,
)
from kiosk.vocabulary import Action
from wire import LabelError, parse_label


@dataclass(frozen=True)
class BadgeRead:
    """A UID from the reader, resolved against the replica on the session thread."""

    uid: str


@dataclass(frozen=True)
class CodeRead:
    """A decoded QR text from the camera, resolved against the replica on the session thread."""

    text: str


def badge_tapped(replica: Replica, uid: str) -> BadgeTapped:
    """Who the badge belongs to and what they hold, from one whole replica."""
    view = replica.view()
    person = view.person_by_badge(uid)
    loans = (
        ()
        if person is None
        else tuple(
            HeldItem(
                item.code,
                item.name,
                held.due,
                category=item.category,
                renewals=held.renewals,
                booked_from=min(
                    (b.starts for b in item.bookings if b.person != person.id), default=None
                ),
                kit=view.kit_of(item.code),
            )
            for item, held in view.loans_of(person.id)
        )
    )
    reserved = () if person is None else view.reservations_of(person.id)
    return BadgeTapped(uid.upper(), person, loans, reserved)


def label_scanned(replica: Replica, raw: str) -> LabelScanned:
    """A label's text: the item it names, or why it names none."""
    try:
        code = parse_label(raw)
    except LabelError as exc:
        return LabelScanned(raw, None, None, str(exc))
    return LabelScanned(raw, code, replica.item(code))


def tap_input(tap: Tap, state: State, label: Callable[[str], LabelScanned]) -> Input | None:
    """The session input a tap means (``kiosk.session.ui_input`` names them all), or None.
    Enter on the PIN pad submits the PIN; on the keyboard the code typed is looked up like a
    scanned label (with ``label``)."""
    if tap.action == Action.ENTER:
        if state.pin is not None:
            return PinEnter()
        return label(typed_label(state.typing)) if state.typing else None
    return ui_input(tap.action, tap.code)
