"""What the kiosk shows, as plain data: the session decides it, the UI draws it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class LineAction(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    REFUSED = "refused"
    COUNTED = "counted"  # a stocktake: seen on the shelf, custody unchanged


@dataclass(frozen=True)
class CartLine:
    code: str
    name: str
    action: LineAction
    reason: str | None = None  # a sentence the student can act on, for refused lines
    due: datetime | None = None
    condition: str = "ok"  # for returns: "ok", "damaged" or "missing_part" (one touch cycles)
    kit: str | None = None  # the kit this piece came with; "missing_part" then means missing


@dataclass(frozen=True)
class Loan:
    """Something the person already holds, shown when they tap in."""

    code: str
    name: str
    due: datetime
    overdue: bool = False
    extendable: bool = False  # the session decides: before the due time, within the renewals
    category: str = ""
    renewals: int = 0
    booked_from: datetime | None = None  # when someone else's booking of it starts


@dataclass(frozen=True)
class IdleScreen:
    kiosk_name: str
    now: datetime
    offline: bool = False
    message: str | None = None  # e.g. "Tap your badge first"
    station: bool = False  # a return station: no badge needed, a scan returns the item


@dataclass(frozen=True)
class CartScreen:
    person_name: str
    lines: tuple[CartLine, ...] = ()
    message: str | None = None
    offline: bool = False
    loans: tuple[Loan, ...] = ()  # what they hold already, soonest due first
    staff: bool = False  # staff see "Open door", "Enrol" and "Count" (stocktake) buttons


@dataclass(frozen=True)
class ReceiptScreen:
    person_name: str
    lines: tuple[CartLine, ...] = field(default_factory=tuple)
    offline: bool = False


@dataclass(frozen=True)
class DeniedScreen:
    title: str
    reason: str
    offline: bool = False


Screen = IdleScreen | CartScreen | ReceiptScreen | DeniedScreen
