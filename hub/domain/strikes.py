"""Late returns and the strikes they earn: how late, and when a run of them bans a borrower.

A return later than the grace period is a late return. Late returns count as strikes per visit
(the default) or per item: per visit, the items a person brings back late together (in one kiosk
session, or one after another within ``visit`` of each other, as at a return station where each
scan is its own session) are one strike. Strikes count within a rolling term; reaching the limit
bans new checkouts for a while from the strike that reached it. Returns are always taken, banned
or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Count(StrEnum):
    VISIT = "visit"  # the late items of one visit are one strike
    ITEM = "item"  # every late item is a strike


@dataclass(frozen=True)
class StrikeRules:
    grace: timedelta = timedelta(minutes=15)
    limit: int | None = 3  # None: strikes are recorded and shown but never ban
    term: timedelta = timedelta(days=120)
    ban: timedelta = timedelta(days=14)
    per: Count = Count.VISIT
    visit: timedelta = timedelta(minutes=30)  # returns this close together are one visit


@dataclass(frozen=True)
class LateItem:
    """One item returned late, as strikes need it."""

    event_id: str  # the return
    returned: datetime
    session: str | None = None


@dataclass(frozen=True)
class Strike:
    """One strike: when it was earned (its first late item's return) and how many items."""

    at: datetime
    items: int


def strikes(late: Iterable[LateItem], rules: StrikeRules) -> list[Strike]:
    """One person's late items grouped into strikes, oldest first; the same whatever order the
    items are given in (duplicates by event id ignored).

    Per visit, items join when they share a session, or when one was returned within
    ``rules.visit`` of another (so a chain of returns a few minutes apart is one visit)."""
    items = sorted({i.event_id: i for i in late}.values(), key=lambda i: (i.returned, i.event_id))
    if rules.per is Count.ITEM:
        return [Strike(i.returned, 1) for i in items]
    parent = list(range(len(items)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(a: int, b: int) -> None:
        parent[max(root(a), root(b))] = min(root(a), root(b))

    by_session: dict[str, int] = {}
    for n, item in enumerate(items):
        if n and item.returned - items[n - 1].returned <= rules.visit:
            join(n - 1, n)
        if item.session is not None:
            join(by_session.setdefault(item.session, n), n)
    groups: dict[int, list[LateItem]] = {}
    for n, item in enumerate(items):
        groups.setdefault(root(n), []).append(item)
    found = [Strike(min(i.returned for i in g), len(g)) for g in groups.values()]
    return sorted(found, key=lambda s: s.at)


def minutes_late(due: datetime, returned: datetime, rules: StrikeRules) -> int | None:
    """Minutes past the due time, or None when the return was on time (or within grace)."""
    late = returned - due
    if late <= rules.grace:
        return None
    return int(late.total_seconds() // 60)


def strikes_in_term(returns: Sequence[datetime], now: datetime, rules: StrikeRules) -> int:
    return sum(1 for r in returns if now - rules.term <= r <= now)


def ban_until(returns: Sequence[datetime], now: datetime, rules: StrikeRules) -> datetime | None:
    """When the ban earned by these late returns (times of return) ends, if one is in force."""
    if rules.limit is None:
        return None
    recent = sorted(r for r in returns if now - rules.term <= r <= now)
    if len(recent) < rules.limit:
        return None
    until = recent[-1] + rules.ban
    return until if until > now else None


@dataclass(frozen=True)
class Ban:
    until: datetime
    strikes: int  # late returns within the term of the one that set it


# the reason a ban made by strikes carries; a manager's own block says something else
_STRIKE_REASON = re.compile(r"\d+ late returns in \d+ days")


def earned_ban(returns: Sequence[datetime], now: datetime, rules: StrikeRules) -> Ban | None:
    """The ban in force at ``now`` that these late returns earn (the one ending last), whatever
    order they became known in."""
    earned: Ban | None = None
    for at in returns:
        until = ban_until(returns, at, rules)
        if until is not None and until > now and (earned is None or until > earned.until):
            earned = Ban(until, sum(1 for r in returns if at - rules.term <= r <= at))
    return earned


def ban_reason(ban: Ban, rules: StrikeRules) -> str:
    return f"{ban.strikes} late returns in {rules.term.days} days"


def settle_ban(
    current: datetime | None,
    reason: str | None,
    earned: Ban | None,
    now: datetime,
    rules: StrikeRules,
) -> tuple[datetime | None, str | None] | None:
    """What a person's block should become (until, reason), or None to leave it as it is.

    A ban the strikes made follows the strikes: set, lengthened, shortened or lifted. A
    manager's own block keeps its reason and is only ever lengthened by strikes, never
    shortened or lifted by them.
    """
    wanted = (earned.until, ban_reason(earned, rules)) if earned else (None, None)
    if reason is not None and _STRIKE_REASON.fullmatch(reason) is None:
        if earned is None or (current is not None and current >= earned.until):
            return None
        return earned.until, reason
    if (current, reason) == wanted:
        return None
    if earned is None and (current is None or current <= now):
        return None  # nothing in force either way
    return wanted
