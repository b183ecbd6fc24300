"""What a tap on a drawn button means to the session."""

from __future__ import annotations

from kiosk.session.inputs import (
    Cancel,
    Confirm,
    CycleCondition,
    ExtendLoan,
    Input,
    RemoveItem,
    SetCondition,
    StartEnroll,
    StartStocktake,
    StartTyping,
    StillHere,
    TypeKey,
    UnlockDoor,
)
from wire import ReturnCondition
from wire.labels import compact_label

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
