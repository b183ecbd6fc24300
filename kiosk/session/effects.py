"""The session's effects: what the app must do for it (show, sound, record, unlock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kiosk.screens import Screen
from wire import DenialReason, EventType, ReturnCondition


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
