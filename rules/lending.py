"""Whether one item may be lent to (or taken back from) one person now: the decision a kiosk's
cart and the dashboard's desk both make, so a desk checkout is refused for exactly the reasons a
kiosk refuses it. Pure: the person, the item, what is already in the cart and a time in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from rules.eligibility import (
    blocked,
    booked_by_other,
    groups_text,
    outside_groups,
    over_limit,
    untrained,
)
from rules.policy import due_for
from wire import DenialReason, ReplicaPolicy

OPEN_ENDED_YEAR = 9999  # the hub's "until unblocked"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    staff: bool = False
    trainings: tuple[tuple[str, datetime | None], ...] = ()  # (name, expires or None)
    blocked_until: datetime | None = None
    blocked_reason: str | None = None
    strikes: int = 0  # late returns this term
    notices: tuple[str, ...] = ()  # reminders and overdue alerts from the hub
    pin: str | None = field(default=None, repr=False)  # staff: the door PIN's hash (wire.pins)
    groups: frozenset[str] = frozenset()  # access groups (courses, departments) they are in

    def blocked(self, at: datetime) -> bool:
        return blocked(self.blocked_until, at)

    def trained(self, training: str, at: datetime) -> bool:
        return untrained(training, dict(self.trainings), at) is None


@dataclass(frozen=True)
class Booking:
    """Someone's reservation of an item: only they may take it from ``starts`` to ``ends``."""

    person: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    lendable: bool = True
    holder: str | None = None  # person id of whoever holds it now, as far as the replica knows
    bookings: tuple[Booking, ...] = ()
    members: tuple[Item, ...] = ()  # for a kit: its pieces, which go out and come back with it
    in_maintenance: bool = False  # being repaired or serviced (then not lendable either)


class Action(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    REFUSED = "refused"


@dataclass(frozen=True)
class Cart:
    """What counts against one more checkout: the person's current loans (``held``, with
    ``overdue`` true if any is late) and the cart so far."""

    held: tuple[str, ...] = ()
    overdue: bool = False
    returning: frozenset[str] = frozenset()  # codes in the cart coming back
    taking: int = 0  # checkouts in the cart


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: DenialReason | None = None  # set when refused
    text: str | None = None  # a sentence the person can act on, for refusals
    due: datetime | None = None  # set for a checkout


REFUSAL_TEXT = {
    DenialReason.UNKNOWN_ITEM: "Unknown item: please hand it to staff",
    DenialReason.HELD_BY_OTHER: "Still on someone else's loan: see staff",
    DenialReason.NOT_LENDABLE: "No longer lent out: please see staff",
    DenialReason.IN_MAINTENANCE: "In for repair: please choose another",
    DenialReason.BOOKED_BY_OTHER: "Booked by someone else: choose another",
}


def zone_of(policy: ReplicaPolicy) -> str:
    """The cage's time zone from the policy's opening hours (UTC when it sets none)."""
    return policy.opening.tz if policy.opening is not None else "UTC"


def ban_end(person: Person, tz: str) -> str:
    """When a ban ends, in words and in the cage's zone; a manager's block without an end
    says so. Month names are spelled out here, not taken from an unset locale."""
    end = person.blocked_until
    if end is None or end.year >= OPEN_ENDED_YEAR:
        return "until staff lift the block"
    local = end.astimezone(ZoneInfo(tz))
    return f"until {local.day:02d} {_MONTHS[local.month - 1]}"


def judge(
    item: Item,
    person: Person,
    cart: Cart,
    now: datetime,
    policy: ReplicaPolicy,
    due: datetime | None = None,
) -> Verdict:
    """Lend, take back or refuse ``item`` for ``person`` at ``now``; ``due``: when it is due
    back if it goes out (a kit's one due time), else its category's loan period decides."""
    if item.holder == person.id:
        return Verdict(Action.RETURN)
    if item.holder is not None:
        reason = DenialReason.HELD_BY_OTHER
    elif item.in_maintenance:
        reason = DenialReason.IN_MAINTENANCE
    elif not item.lendable:
        reason = DenialReason.NOT_LENDABLE
    elif (refusal := item_rules(item.category, person, now, policy)) is not None:
        return Verdict(Action.REFUSED, refusal[0], refusal[1])
    else:
        refusal = person_refusal(person, cart, now, policy)
        if refusal is not None:
            return Verdict(Action.REFUSED, refusal[0], refusal[1])
        due = due or due_for(policy, item.category, now)
        if booked_by_other(item.bookings, person.id, now, due) is not None:
            reason = DenialReason.BOOKED_BY_OTHER
            return Verdict(Action.REFUSED, reason, REFUSAL_TEXT[reason])
        return Verdict(Action.CHECKOUT, due=due)
    return Verdict(Action.REFUSED, reason, REFUSAL_TEXT[reason])


def item_rules(
    category: str, person: Person, now: datetime, policy: ReplicaPolicy
) -> tuple[DenialReason, str] | None:
    """The rules a category sets on who may borrow it: a training, access groups."""
    lacking = untrained(policy.requires.get(category) or None, dict(person.trainings), now)
    if lacking is not None:
        return DenialReason.NOT_TRAINED, f"Needs the {lacking.training} training"
    outside = outside_groups(policy.groups.get(category, ()), person.groups)
    if outside is not None:
        return DenialReason.NOT_IN_GROUP, groups_text(outside)
    return None


def person_refusal(
    person: Person, cart: Cart, now: datetime, policy: ReplicaPolicy
) -> tuple[DenialReason, str] | None:
    """Person-level rules for one more checkout; returns are never refused by these."""
    if blocked(person.blocked_until, now):
        return DenialReason.BLOCKED, f"No new loans {ban_end(person, zone_of(policy))}"
    if policy.block_when_overdue and cart.overdue:
        return DenialReason.OVERDUE_ITEMS, "Bring back your overdue items first"
    n = policy.max_items
    held = sum(1 for code in cart.held if code not in cart.returning)
    if n is not None and over_limit(n, held, cart.taking):
        return DenialReason.ITEM_LIMIT, f"Limit of {n} item{'' if n == 1 else 's'} reached"
    return None
