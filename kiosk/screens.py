"""What the kiosk shows, as plain data: the session decides it, the UI draws it.

Times travel as UTC datetimes with the cage's zone (``tz``, an IANA name from the hub's policy)
beside them, and are written out here, in that zone, whatever zone the Pi itself is set to: the
clock, a due time and a ban's end read the same on the kiosk as on the dashboard and in email.
Day and month names are spelled out rather than taken from ``strftime`` so a Pi whose locale is
unset (or unexpected) still shows the words the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (the hub validated it; the name is cached, not looked up at each
    frame)."""
    return ZoneInfo(name)


def local(when: datetime, tz: str) -> datetime:
    return when.astimezone(zone(tz))


def format_clock(when: datetime, tz: str) -> str:
    return f"{local(when, tz):%H:%M}"


def format_day(when: datetime, tz: str) -> str:
    t = local(when, tz)
    return f"{_DAYS[t.weekday()]} {t.day} {_MONTHS[t.month - 1]}"


def format_date(when: datetime, tz: str) -> str:
    """Like "05 Mar": the end of a ban."""
    t = local(when, tz)
    return f"{t.day:02d} {_MONTHS[t.month - 1]}"


def format_due(when: datetime, tz: str) -> str:
    """Like "Due Wed 25 Nov 17:00": the weekday matters more to a student than the year."""
    return f"Due {format_day(when, tz)} {format_clock(when, tz)}"


class LineAction(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    REFUSED = "refused"
    COUNTED = "counted"  # a stocktake: seen on the shelf, custody unchanged


CONDITIONS = ("ok", "damaged", "missing_part")  # the explicit choices on a return line


@dataclass(frozen=True)
class CartLine:
    code: str
    name: str
    action: LineAction
    reason: str | None = None  # a sentence the student can act on, for refused lines
    due: datetime | None = None
    condition: str = "ok"  # for returns: one of CONDITIONS, chosen on the line's own buttons
    kit: str | None = None  # the kit this piece came with; "missing_part" then means missing


@dataclass(frozen=True)
class HeldItem:
    """Something the person already holds, shown when they tap in."""

    code: str
    name: str
    due: datetime
    overdue: bool = False
    extendable: bool = False  # the session decides: before the due time, within the renewals
    category: str = ""
    renewals: int = 0
    booked_from: datetime | None = None  # when someone else's booking of it starts
    kit: str | None = None  # the kit it goes with (a kit's own code for the kit): renewed whole


@dataclass(frozen=True)
class Reservation:
    """Something the person has booked: theirs to take from ``starts`` (or a little before) to
    ``ends``, when it is due back."""

    code: str
    name: str
    starts: datetime
    ends: datetime


def same_day(when: datetime, now: datetime, tz: str) -> bool:
    return local(when, tz).date() == local(now, tz).date()


def format_until(ends: datetime, now: datetime, tz: str) -> str:
    """Like "until 17:00" today, "until Wed 25 Nov 17:00" another day."""
    if same_day(ends, now, tz):
        return f"until {format_clock(ends, tz)}"
    return f"until {format_day(ends, tz)} {format_clock(ends, tz)}"


BOOKED_TEXT = "Reserved by someone else"


def reservation_refusal(free: datetime | None, now: datetime, tz: str) -> str:
    """Why an item someone else reserved is refused, like "Reserved by someone else: free again
    at 17:00" (with the day when that is not today); ``free``: when it is free again."""
    if free is None:
        return BOOKED_TEXT
    if same_day(free, now, tz):
        return f"{BOOKED_TEXT}: free again at {format_clock(free, tz)}"
    return f"{BOOKED_TEXT}: free again {format_day(free, tz)} {format_clock(free, tz)}"


def reservation_text(reserved: tuple[Reservation, ...], now: datetime, tz: str) -> str:
    """Like "Your reservation: Canon C70 kit, Sachtler tripod, until 17:00" (each item's own end
    when they differ)."""
    ends = {r.ends for r in reserved}
    if len(ends) == 1:
        names = ", ".join(r.name for r in reserved)
        return f"Your reservation: {names}, {format_until(reserved[0].ends, now, tz)}"
    names = ", ".join(f"{r.name} ({format_until(r.ends, now, tz)})" for r in reserved)
    return f"Your reservation: {names}"


@dataclass(frozen=True)
class IdleScreen:
    kiosk_name: str
    now: datetime
    offline: bool = False
    message: str | None = None  # e.g. "Tap your badge first"
    station: bool = False  # a return station: no badge needed, a scan returns the item
    returned: str | None = None  # the station just took this back: the whole screen says so
    troubles: tuple[str, ...] = ()  # a device is not working, and what to do instead
    starting: bool = False  # no replica from the hub yet
    can_type: bool = False  # offer the on-screen code entry (a station whose camera is down)
    staff_note: str | None = None  # for staff only, quietly: e.g. records the hub has not taken
    tz: str = "UTC"


@dataclass(frozen=True)
class CartScreen:
    person_name: str
    lines: tuple[CartLine, ...] = ()
    message: str | None = None
    offline: bool = False
    loans: tuple[HeldItem, ...] = ()  # what they hold already, soonest due first
    staff: bool = False  # staff see "Open door", "Enrol" and "Count" (stocktake) buttons
    stocktake: bool = False  # staff are counting the shelf: "Done counting" ends it
    countdown: int | None = None  # seconds before an untouched session clears ("Still there?")
    can_type: bool = False  # a "Type code" button: the camera is not working
    staff_note: str | None = None
    tz: str = "UTC"
    reserved: tuple[Reservation, ...] = ()  # what they booked for now and have not scanned yet
    reservation: str | None = None  # "Your reservation: ..." (reservation_text), all of it

    @property
    def confirmable(self) -> bool:
        """Only a cart with something to lend or take back offers Confirm."""
        return any(line.action in (LineAction.CHECKOUT, LineAction.RETURN) for line in self.lines)


@dataclass(frozen=True)
class CodeEntryScreen:
    """An on-screen keyboard for the code printed on a label, for when the camera cannot read
    it; what is typed is looked up the way a scanned label is."""

    typed: str
    message: str | None = None
    person_name: str | None = None  # None at a return station
    offline: bool = False
    countdown: int | None = None
    tz: str = "UTC"


@dataclass(frozen=True)
class PinScreen:
    """A number pad for a staff member's door PIN after their badge. It knows how many digits
    were typed, never which: screens are saved as pictures and described in logs."""

    person_name: str
    entered: int = 0
    message: str | None = None  # e.g. "Wrong PIN: 4 tries left"
    offline: bool = False
    countdown: int | None = None


@dataclass(frozen=True)
class ReceiptScreen:
    person_name: str
    lines: tuple[CartLine, ...] = field(default_factory=tuple)
    offline: bool = False
    tz: str = "UTC"


@dataclass(frozen=True)
class DeniedScreen:
    title: str
    reason: str
    offline: bool = False


Screen = IdleScreen | CartScreen | CodeEntryScreen | PinScreen | ReceiptScreen | DeniedScreen
