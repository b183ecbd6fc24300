"""Preventive maintenance: when an item is due for service and should be held back from lending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class ServiceRule:
    every_days: int | None = None
    every_checkouts: int | None = None


def service_due(
    rule: ServiceRule,
    since: datetime | None,
    checkouts: int,
    now: datetime,
) -> str | None:
    """Why the item is due for service (a sentence), or None.

    ``since`` is the last service (or, never serviced, when the item entered service).
    """
    if rule.every_checkouts is not None and checkouts >= rule.every_checkouts:
        return f"service due after {checkouts} checkouts (every {rule.every_checkouts})"
    if (
        rule.every_days is not None
        and since is not None
        and now - since >= timedelta(days=rule.every_days)
    ):
        days = (now - since).days
        return f"service due: last serviced {days} days ago (every {rule.every_days})"
    return None


def service_reason(
    rule: ServiceRule,
    last_service: datetime | None,
    acquired: date | None,
    checkouts: int,
    now: datetime,
) -> str | None:
    """Why an item is due for service now (None: it is not): counted from its last service,
    or from the day it was acquired if it never had one."""
    since = last_service
    if since is None and acquired is not None:
        since = datetime.combine(acquired, datetime.min.time(), tzinfo=now.tzinfo)
    return service_due(rule, since, checkouts, now)
