"""The session's inputs: what a person, a device or the kiosk itself tells the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kiosk.screens import HeldItem, Reservation
from rules.lending import Item, Person
from wire import ReturnCondition


@dataclass(frozen=True)
class BadgeTapped:
    uid: str
    person: Person | None
    loans: tuple[HeldItem, ...] = ()  # what the replica says the person holds
    reservations: tuple[Reservation, ...] = ()  # and what it says they have booked


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


BACKSPACE = "backspace"
