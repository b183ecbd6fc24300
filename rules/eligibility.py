"""Who may borrow what: the rules about the borrower (trainings, access groups, blocks, the item
limit) and the item's bookings, one pure function each.

A kiosk's cart (rules.lending) and the dashboard's desk decide with them before lending; the
hub's bookings check the same trainings and groups before reserving; and the hub checks each
checkout a kiosk decided offline against them afterwards, so the three cannot disagree about
what the rules are.

Access groups (courses, departments) compare without regard to case or repeated spaces:
"Film 101" on a category and "film  101" from a spreadsheet or an identity provider are the
same group. A category restricted to no group is open to everyone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

GROUPS_SHOWN = 3  # groups named in a refusal before "or N more"


@dataclass(frozen=True)
class Untrained:
    """The training a category needs that the person does not hold (``expires`` None), or
    whose certificate has run out by the time it matters."""

    training: str
    expires: datetime | None


@dataclass(frozen=True)
class OutsideGroups:
    """The person is in none of the groups the category is restricted to."""

    groups: tuple[str, ...]  # the category's groups, as a manager spelled them


def group_key(name: str) -> str:
    """The form groups are compared in: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def clean_groups(names: Iterable[str]) -> tuple[str, ...]:
    """Group names as kept: trimmed, blanks dropped, each group once (first spelling wins),
    in the order given."""
    kept: dict[str, str] = {}
    for name in names:
        tidy = " ".join(name.split())
        if tidy:
            kept.setdefault(group_key(tidy), tidy)
    return tuple(kept.values())


def untrained(
    needed: str | None, held: Mapping[str, datetime | None], at: datetime
) -> Untrained | None:
    """Whether a person holding ``held`` (training -> expiry, None: never) lacks the training
    ``needed`` at ``at`` (None needed: nothing to lack)."""
    if needed is None:
        return None
    if needed not in held:
        return Untrained(needed, None)
    expires = held[needed]
    if expires is not None and expires <= at:
        return Untrained(needed, expires)
    return None


def outside_groups(allowed: Collection[str], member_of: Collection[str]) -> OutsideGroups | None:
    """Whether someone in ``member_of`` is kept from a category open only to ``allowed``
    (empty: open to everyone)."""
    if not allowed:
        return None
    mine = {group_key(g) for g in member_of}
    if any(group_key(g) in mine for g in allowed):
        return None
    return OutsideGroups(clean_groups(allowed))


def groups_text(refusal: OutsideGroups) -> str:
    """The refusal in words a borrower reads at a kiosk (kept short for its screen)."""
    names = list(refusal.groups)
    if len(names) > GROUPS_SHOWN:
        more = len(names) - GROUPS_SHOWN + 1
        names = [*names[: GROUPS_SHOWN - 1], f"{more} other groups"]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"Only for {listed}: you are not in it"


def blocked(until: datetime | None, at: datetime) -> bool:
    """Whether a block ending at ``until`` is in force at ``at``."""
    return until is not None and until > at


def blocked_when(since: datetime | None, until: datetime | None, at: datetime) -> bool:
    """Whether a block last set (made, lengthened or shortened) at ``since`` and ending at
    ``until`` was in force at ``at``: one set after ``at`` is not held against what happened
    before it (None: nothing says when it was set, so it counts)."""
    return (since is None or since <= at) and blocked(until, at)


def over_limit(limit: int | None, holding: int, taking: int) -> bool:
    """Whether one more checkout would take someone holding ``holding`` items, with ``taking``
    more in the cart, past ``limit`` (None: no limit)."""
    return limit is not None and holding + taking >= limit


class Window(Protocol):
    """A booking's holder and window (rules.lending.Booking, a booking read by the hub)."""

    @property
    def person(self) -> str: ...
    @property
    def starts(self) -> datetime: ...
    @property
    def ends(self) -> datetime: ...


W = TypeVar("W", bound=Window)


def booked_by_other(
    bookings: Iterable[W], person: str, starts: datetime, ends: datetime
) -> W | None:
    """The first booking by someone else overlapping a loan or booking from ``starts`` to
    ``ends`` (None: nothing stands in the way)."""
    return next(
        (b for b in bookings if b.person != person and b.starts < ends and b.ends > starts), None
    )
