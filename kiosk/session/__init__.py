"""The kiosk session state machine: inputs in, effects out. Pure: no I/O, no clock, no threads.

The app resolves badges and labels against the local replica before feeding them in, so every
decision here is a function of the state, the input and the time passed with it. ``step`` is the
one entry point; the modules beside it each own one part of what a session does.
"""

from kiosk.session.door import (
    DOOR_UNLOCKED,
    NO_PIN_TEXT,
    PIN_CHECKED,
    PIN_LOCKED_TITLE,
    PIN_TOO_SHORT,
    locked_out_text,
    wrong_pin_text,
)
from kiosk.session.effects import Effect, Feedback, Record, Show, Signal, Unlock
from kiosk.session.inputs import (
    BACKSPACE,
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
from kiosk.session.keyboard import NOT_A_CODE
from kiosk.session.machine import step
from kiosk.session.model import DoorSettings, Mode, PinEntry, Profile, Settings, State, cage_zone
from kiosk.session.taps import typed_label, ui_input
from kiosk.session.view import (
    DOOR_ALARM_TEXT,
    STARTING_RETRY,
    STARTING_TEXT,
    TROUBLE_TEXT,
    screen_for,
)

# the lending rules' people and items, where the kiosk's tools and tests find them
from rules.lending import Booking, Item, Person

__all__ = [
    "BACKSPACE",
    "DOOR_ALARM_TEXT",
    "DOOR_UNLOCKED",
    "NOT_A_CODE",
    "NO_PIN_TEXT",
    "PIN_CHECKED",
    "PIN_LOCKED_TITLE",
    "PIN_TOO_SHORT",
    "STARTING_RETRY",
    "STARTING_TEXT",
    "TROUBLE_TEXT",
    "AcksOverdue",
    "BadgeTapped",
    "Booking",
    "Cancel",
    "Confirm",
    "ConnectivityChanged",
    "CycleCondition",
    "Device",
    "DeviceTrouble",
    "DoorAlarm",
    "DoorSettings",
    "Effect",
    "ExtendLoan",
    "Feedback",
    "Input",
    "Item",
    "LabelScanned",
    "Mode",
    "Person",
    "PinEnter",
    "PinEntry",
    "PinKey",
    "Profile",
    "Record",
    "RemoveItem",
    "ReplicaState",
    "SetCondition",
    "Settings",
    "Show",
    "Signal",
    "StartEnroll",
    "StartStocktake",
    "StartTyping",
    "State",
    "StillHere",
    "Tick",
    "TypeKey",
    "Unlock",
    "UnlockDoor",
    "cage_zone",
    "locked_out_text",
    "screen_for",
    "step",
    "typed_label",
    "ui_input",
    "wrong_pin_text",
]
