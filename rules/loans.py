"""When a loan is due, from the loan period of the item's category and the cage's hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rules.opening import OpeningHours


class PeriodKind(StrEnum):
    MINUTES = "minutes"  # due N minutes after checkout (a room key, a meter for the lab)
    HOURS = "hours"  # due N hours after checkout (moved to the next opening if closed then)
    DAYS = "days"  # due at closing time N open days later
    NEXT_OPENING = "next_opening"  # due when the cage next opens ("until 9:00 next day")


@dataclass(frozen=True)
class LoanPeriod:
    kind: PeriodKind = PeriodKind.HOURS
    amount: int = 24

    def __post_init__(self) -> None:
        if self.kind is not PeriodKind.NEXT_OPENING and self.amount < 1:
            raise ValueError("a loan period needs a positive amount")


def due_time(period: LoanPeriod, start: datetime, hours: OpeningHours) -> datetime:
    """The due time of a loan that starts at ``start``; always a time the cage is open (or its
    closing time), so nobody is due back while the door is shut."""
    if period.kind in (PeriodKind.MINUTES, PeriodKind.HOURS):
        unit = "minutes" if period.kind is PeriodKind.MINUTES else "hours"
        due = start + timedelta(**{unit: period.amount})
        if hours.always_open or hours.is_open(due):
            return due
        return hours.next_opening(due) or due
    if period.kind is PeriodKind.NEXT_OPENING:
        return hours.next_opening(start) or start + timedelta(days=1)
    day = hours.local_date(start)
    counted = 0
    for offset in range(1, 400):
        candidate = day + timedelta(days=offset)
        period_of_day = hours.period_on(candidate)
        if period_of_day is None:
            continue
        counted += 1
        if counted == period.amount:
            return period_of_day[1]
    return start + timedelta(days=period.amount)
