"""Whether a booking can be made, and why not, in words in the cage's time zone.

A booking is refused when:

- it overlaps another live booking of the item;
- the item is on loan to someone else and the booking starts before that loan is due back,
  or the loan is overdue already (nobody knows when it will be back): a booking must not
  promise what is not on the shelf, nor log a no-show against a booker who could not have
  picked it up. A loan to the booker themselves does not stand in the way;
- the item's category needs a training the booker does not hold, or whose certificate has
  expired by the time the booking starts;
- the item's category is restricted to access groups (courses, departments) the booker is in
  none of.

The training and group rules are the kiosks' own (rules.eligibility). Pure: the store reads the
facts, this decides; times are shown in the zone it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from rules.eligibility import OutsideGroups as OutsideGroups
from rules.eligibility import Untrained as Untrained
from rules.eligibility import outside_groups, untrained


@dataclass(frozen=True)
class Request:
    asset: str
    person: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Other:
    """Another live booking of the same item."""

    person: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class CurrentLoan:
    """The item's current loan."""

    person: str
    due: datetime


@dataclass(frozen=True)
class Facts:
    others: Sequence[Other] = ()
    loan: CurrentLoan | None = None
    requires: str | None = None  # the training the item's category needs
    trainings: Mapping[str, datetime | None] | None = None  # the booker's: name -> expires
    groups: Collection[str] = ()  # the access groups the item's category is restricted to
    member_of: Collection[str] = ()  # the booker's access groups


@dataclass(frozen=True)
class Clash:
    other: Other


@dataclass(frozen=True)
class OnLoan:
    loan: CurrentLoan
    overdue: bool


Refusal = Clash | OnLoan | Untrained | OutsideGroups


def refusals(request: Request, facts: Facts, now: datetime) -> list[Refusal]:
    """Everything that stands in the way of this booking (empty: it can be made)."""
    found: list[Refusal] = [
        Clash(o) for o in facts.others if o.starts < request.ends and o.ends > request.starts
    ]
    loan = facts.loan
    if loan is not None and loan.person != request.person:
        overdue = loan.due <= now
        if overdue or request.starts < loan.due:
            found.append(OnLoan(loan, overdue))
    lacking = untrained(facts.requires, facts.trainings or {}, request.starts)
    if lacking is not None:
        found.append(lacking)
    outside = outside_groups(facts.groups, facts.member_of)
    if outside is not None:
        found.append(outside)
    return found


def local(at: datetime, tz: tzinfo) -> str:
    """A time as a manager reads it: in the cage's zone, with the zone's abbreviation."""
    return at.astimezone(tz).strftime("%a %d %b %Y %H:%M %Z")


def explain(request: Request, refusal: Refusal, tz: tzinfo) -> str:
    match refusal:
        case Clash(other=o):
            return (
                f"{request.asset} is booked by {o.person} from {local(o.starts, tz)} "
                f"to {local(o.ends, tz)}"
            )
        case OnLoan(loan=loan, overdue=True):
            return (
                f"{request.asset} is overdue with {loan.person} (due {local(loan.due, tz)}): "
                "book it once it is back"
            )
        case OnLoan(loan=loan):
            return (
                f"{request.asset} is on loan to {loan.person} until {local(loan.due, tz)}, "
                "after the booking would start"
            )
        case Untrained(training=name, expires=None):
            return f"{request.person} does not hold the {name} training {request.asset} needs"
        case Untrained(training=name, expires=expires):
            assert expires is not None
            return (
                f"{request.person}'s {name} training, which {request.asset} needs, "
                f"expires {local(expires, tz)}, before the booking starts"
            )
        case OutsideGroups(groups=groups):
            return (
                f"{request.person} is not in {' or '.join(groups)}, the groups "
                f"{request.asset} is restricted to"
            )
    raise AssertionError(refusal)


class State:
    """What became of a booking, as the dashboard and the API say it."""

    LIVE = "booked"
    PICKED_UP = "picked up"
    NO_SHOW = "no-show"
    CANCELLED = "cancelled"


def state(cancelled: bool, picked_up: bool, released_at: datetime | None) -> str:
    """A booking released because nobody came is a no-show, not one a manager cancelled."""
    if picked_up:
        return State.PICKED_UP
    if released_at is not None:
        return State.NO_SHOW
    return State.CANCELLED if cancelled else State.LIVE


def from_local(naive: datetime, tz: tzinfo) -> datetime:
    """A wall-clock time a manager typed, in the cage's zone; one the clocks skip when they go
    forward is refused rather than moved (in a repeated hour the first is meant)."""
    if naive.tzinfo is not None:
        return naive
    at = naive.replace(tzinfo=tz)
    if at.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in {tz} (the clocks go forward)")
    return at
