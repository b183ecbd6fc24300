"""The replica's lending rules (wire form) turned into due times: shared by hub and kiosk."""

from __future__ import annotations

from datetime import datetime, time

from rules.loans import LoanPeriod, PeriodKind, due_time
from rules.opening import OpeningHours
from wire import ReplicaPolicy
from wire.messages import OpeningSpec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opening_hours(spec: OpeningSpec | None) -> OpeningHours:
    """No opening hours given means always open."""
    if spec is None:
        return OpeningHours()
    weekly = {
        WEEKDAYS.index(day): (time.fromisoformat(span[0]), time.fromisoformat(span[1]))
        for day, span in spec.weekly.items()
        if len(span) == 2
    }
    return OpeningHours(spec.tz, weekly, frozenset(spec.closed))


def due_for(policy: ReplicaPolicy, category: str, start: datetime) -> datetime:
    """When a loan of an item of ``category`` starting (or renewed) at ``start`` is due."""
    spec = policy.loan_for(category)
    period = LoanPeriod(PeriodKind(spec.kind), spec.amount)
    return due_time(period, start, opening_hours(policy.opening))
