"""A borrower's due times and bookings as an iCalendar feed (RFC 5545, written by the
icalendar library), for a calendar app to subscribe to.

Each loan is one event at its due time, a kit one event for the whole kit, with a reminder
before it. A loan's event keeps its UID when the loan is renewed, so a calendar moves the event
instead of adding a second one; bookings likewise by their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from hub.domain.bookings import State
from hub.portal.loans import group
from hub.store.borrower import MyBooking, MyLoan

PRODID = "-//Cagekeeper//Borrower feed//EN"
DUE_LENGTH = timedelta(minutes=15)  # how long a due time's event lasts in the calendar
REMIND = timedelta(hours=2)  # the calendar's own reminder before an item is due
SHOWN = (State.LIVE, State.PICKED_UP)  # bookings kept in the calendar; the rest drop out


def feed(
    site: str, person_name: str, loans: Sequence[MyLoan], booked: Sequence[MyBooking], now: datetime
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{site}: {person_name}")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for members in group(loans):
        cal.add_component(_due(members[0], min(ln.held.due for ln in members), now))
    for b in booked:
        if b.state in SHOWN:
            cal.add_component(_booking(b, now))
    return bytes(cal.to_ical())


def _due(loan: MyLoan, due: datetime, now: datetime) -> Event:
    held = loan.held
    event = Event()
    event.add("uid", f"loan-{held.code}-{int(loan.since.timestamp())}@cagekeeper")
    event.add("dtstamp", now)
    event.add("dtstart", due)
    event.add("dtend", due + DUE_LENGTH)
    event.add("summary", f"Due back: {held.name} ({held.code})")
    event.add("description", "Bring it back to the cage by this time, or renew it if you may.")
    event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{held.name} is due back soon")
    alarm.add("trigger", -REMIND)
    event.add_component(alarm)
    return event


def _booking(b: MyBooking, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"booking-{b.id}@cagekeeper")
    event.add("dtstamp", now)
    event.add("dtstart", b.starts)
    event.add("dtend", b.ends)
    event.add("summary", f"Booked: {b.name} ({b.asset})")
    event.add("status", "CONFIRMED")
    return event
