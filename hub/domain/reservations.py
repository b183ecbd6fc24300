"""What a borrower's own reservation must meet besides a manager's booking checks.

A borrower reserves through the same checks as a manager's booking (hub.domain.bookings: other
bookings, the item's loan, trainings and whatever else they grow), and on top of them these,
which a manager may override by booking for them:

- the window starts and ends while the cage is open (rules.opening), so pickup and return
  happen at a staffed cage;
- it is no longer than the limit, starts no further ahead than the limit, and has not begun
  longer ago than the pickup grace (the sweeper would release it as a no-show at once);
- the borrower is not blocked, holds nothing overdue (when overdue loans block checkouts), and
  would not pass the cage's item limit or the limit on live reservations.

Pure: the store reads the facts, this decides; times are shown in the zone it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from hub.domain import bookings as booking_rules
from hub.domain.bookings import local
from rules.opening import OpeningHours

_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class ReservationRules:
    """The limits on borrowers' own reservations (hub.toml ``[reservations]``)."""

    longest: timedelta = timedelta(days=3)
    ahead: timedelta = timedelta(days=14)
    live: int = 3  # reservations a borrower may hold at once (a kit counts as one)
    pickup_grace: timedelta = timedelta(minutes=30)
    # creation rate per borrower: at most ``per_window`` reservations made within ``window``
    per_window: int = 10
    window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    starts: datetime
    ends: datetime
    items: int  # how many items it takes (a kit and its pieces)


@dataclass(frozen=True)
class Borrower:
    """The facts about the borrower at the time of asking."""

    blocked_until: datetime | None = None
    blocked_reason: str | None = None
    overdue: int = 0  # loans past due now
    held: int = 0  # items on loan now
    live: int = 0  # live reservations (not cancelled, not yet over)


@dataclass(frozen=True)
class Closed:
    at: datetime
    end: bool  # the window's end (else its start)


@dataclass(frozen=True)
class TooLong:
    longest: timedelta


@dataclass(frozen=True)
class TooFarAhead:
    ahead: timedelta


@dataclass(frozen=True)
class Begun:
    grace: timedelta


@dataclass(frozen=True)
class Blocked:
    until: datetime
    reason: str | None


@dataclass(frozen=True)
class Overdue:
    count: int


@dataclass(frozen=True)
class ItemLimit:
    limit: int


@dataclass(frozen=True)
class TooMany:
    live: int


Refusal = Closed | TooLong | TooFarAhead | Begun | Blocked | Overdue | ItemLimit | TooMany


@dataclass(frozen=True)
class Policy:
    """The cage's rules a reservation is judged by."""

    rules: ReservationRules
    hours: OpeningHours
    max_items: int | None = None
    block_when_overdue: bool = True


def open_until(hours: OpeningHours, at: datetime) -> bool:
    """Whether a window may end at ``at``: inside an open period or exactly at its close."""
    period = hours.period_on(hours.local_date(at - _TINY))
    return period is not None and period[0] < at <= period[1]


def refusals(window: Window, who: Borrower, policy: Policy, now: datetime) -> list[Refusal]:
    """Everything in the way of this reservation that a manager's booking would not check."""
    rules = policy.rules
    found: list[Refusal] = []
    if window.starts < now - rules.pickup_grace:
        found.append(Begun(rules.pickup_grace))
    if window.starts > now + rules.ahead:
        found.append(TooFarAhead(rules.ahead))
    if window.ends - window.starts > rules.longest:
        found.append(TooLong(rules.longest))
    if not policy.hours.is_open(window.starts):
        found.append(Closed(window.starts, end=False))
    if not open_until(policy.hours, window.ends):
        found.append(Closed(window.ends, end=True))
    if who.blocked_until is not None and who.blocked_until > now:
        found.append(Blocked(who.blocked_until, who.blocked_reason))
    if policy.block_when_overdue and who.overdue:
        found.append(Overdue(who.overdue))
    if policy.max_items is not None and who.held + window.items > policy.max_items:
        found.append(ItemLimit(policy.max_items))
    if who.live >= rules.live:
        found.append(TooMany(rules.live))
    return found


def _span(d: timedelta) -> str:
    hours = d.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'' if days == 1 else 's'}"
    if hours >= 1 and hours == int(hours):
        return f"{int(hours)} hour{'' if hours == 1 else 's'}"
    minutes = int(d.total_seconds() // 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def explain(refusal: Refusal, tz: tzinfo) -> str:
    """One sentence the borrower can act on."""
    match refusal:
        case Closed(at=at, end=False):
            return f"the cage is closed at {local(at, tz)}: start while it is open"
        case Closed(at=at, end=True):
            return f"the cage is closed at {local(at, tz)}: end while it is open"
        case TooLong(longest=d):
            return f"a reservation may last at most {_span(d)}"
        case TooFarAhead(ahead=d):
            return f"a reservation may start at most {_span(d)} ahead"
        case Begun(grace=d):
            return f"that window began more than {_span(d)} ago: choose a later start"
        case Blocked(until=until, reason=reason):
            why = f" ({reason})" if reason else ""
            if until.year >= 9999:
                return f"you are blocked from borrowing until staff lift the block{why}"
            return f"you are blocked from borrowing until {local(until, tz)}{why}"
        case Overdue(count=n):
            return f"bring back your overdue item{'' if n == 1 else 's'} first"
        case ItemLimit(limit=n):
            items = f"{n} item{'' if n == 1 else 's'}"
            return f"with what you hold now this would pass the limit of {items}"
        case TooMany(live=n):
            return f"you already have {n} live reservation{'' if n == 1 else 's'}: the most allowed"
    raise AssertionError(refusal)


def explain_item(request: booking_rules.Request, refusal: booking_rules.Refusal, tz: tzinfo) -> str:
    """A booking check's refusal as the borrower reads it: about the item and themselves,
    never naming who else booked or holds it."""
    code = request.asset
    match refusal:
        case booking_rules.Clash(other=o) if o.person != request.person:
            return f"{code} is reserved from {local(o.starts, tz)} to {local(o.ends, tz)}"
        case booking_rules.Clash(other=o):
            return (
                f"you have {code} reserved already from {local(o.starts, tz)} "
                f"to {local(o.ends, tz)}"
            )
        case booking_rules.OnLoan(overdue=True):
            return f"{code} is overdue with its borrower: nobody knows when it will be back"
        case booking_rules.OnLoan(loan=loan):
            return f"{code} is on loan until {local(loan.due, tz)}, after your window starts"
        case booking_rules.Untrained(training=name, expires=None):
            return f"{code} needs the {name} training, which you do not hold"
        case booking_rules.Untrained(training=name, expires=expires) if expires is not None:
            return f"your {name} training, which {code} needs, expires {local(expires, tz)}"
    return booking_rules.explain(request, refusal, tz)


def retry_after(made: list[datetime], rules: ReservationRules, now: datetime) -> timedelta | None:
    """None if one more may be made now; else how long until the oldest of those made in the
    window leaves it."""
    recent = sorted(t for t in made if t > now - rules.window)
    if len(recent) < rules.per_window:
        return None
    return recent[len(recent) - rules.per_window] + rules.window - now
