"""Late returns and the strikes they earn: how late, and when a run of them bans a borrower.

A return later than the grace period is a strike. Strikes count within a rolling term; reaching
the limit bans new checkouts for a while from the strike that reached it. Returns are always
taken, banned or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StrikeRules:
    grace: timedelta = timedelta(minutes=15)
    limit: int | None = 3  # None: strikes are recorded and shown but never ban
    term: timedelta = timedelta(days=120)
    ban: timedelta = timedelta(days=14)


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
