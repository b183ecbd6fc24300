"""An item's coming days as a borrower plans with them: for each day in the cage's time zone,
free, out on loan, booked, or the asker's own. Pure: the item's taken spans and the days in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hub.domain.lifecycle import Status
from hub.store.borrower import Shelf, Spoken

DAYS = 7  # days shown ahead, today first


@dataclass(frozen=True)
class Day:
    """One day's cell: ``kind`` free, out, booked, mine or repair; ``note`` the times."""

    starts: datetime
    kind: str
    note: str


@dataclass(frozen=True)
class Outlook:
    code: str
    name: str
    category: str
    pieces: tuple[str, ...]
    now: str  # in words: free now, out until ..., in for repair
    days: tuple[Day, ...]
    booked: tuple[str, ...]  # each booking window in words (whose is never said)


def day_starts(now: datetime, tz: ZoneInfo, days: int = DAYS) -> list[datetime]:
    """Local midnights from today's on (each day's length follows the zone's clock changes)."""
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        (today.replace(tzinfo=None) + timedelta(days=d)).replace(tzinfo=tz) for d in range(days + 1)
    ]


def outlook(
    item: Shelf, now: datetime, tz: ZoneInfo, local: Callable[[datetime], str], days: int = DAYS
) -> Outlook:
    edges = day_starts(now, tz, days)
    cells = [_day(item, start, end, now, local) for start, end in pairwise(edges)]
    return Outlook(
        item.code,
        item.name,
        item.category,
        item.pieces,
        _now(item, now, local),
        tuple(cells),
        tuple(
            f"{'Your booking' if s.mine else 'Booked'} {local(s.starts)} to {local(s.ends)}"
            for s in item.taken
            if s.kind == "booked"
        ),
    )


def _now(item: Shelf, now: datetime, local: Callable[[datetime], str]) -> str:
    if item.status == Status.MAINTENANCE:
        return "In for repair"
    out = next((s for s in item.taken if s.kind == "out"), None)
    if out is not None:
        if out.mine:
            return f"With you, due {local(out.ends)}"
        if out.ends <= now:
            return "Out, overdue"
        return f"Out until {local(out.ends)}"
    booked = next((s for s in item.taken if s.kind == "booked" and s.starts <= now), None)
    if booked is not None:
        return f"Booked until {local(booked.ends)}"
    return "Free now"


def _day(
    item: Shelf, start: datetime, end: datetime, now: datetime, local: Callable[[datetime], str]
) -> Day:
    if item.status == Status.MAINTENANCE:
        return Day(start, "repair", "In for repair")
    over = [s for s in item.taken if s.starts < end and _until(s, now) > start]
    if not over:
        return Day(start, "free", "Free all day")
    kind = "mine" if all(s.mine for s in over) else _worst(over)
    note = "; ".join(_said(s, now, local) for s in over)
    return Day(start, kind, note)


def _until(span: Spoken, now: datetime) -> datetime:
    """An overdue loan is taken until it comes back: for planning, at least to now."""
    return max(span.ends, now)


def _worst(spans: Sequence[Spoken]) -> str:
    return "out" if any(s.kind == "out" and not s.mine for s in spans) else "booked"


def _said(span: Spoken, now: datetime, local: Callable[[datetime], str]) -> str:
    whose = "you" if span.mine else None
    if span.kind == "out":
        if span.ends <= now:
            return "out, overdue"
        return f"out until {local(span.ends)}" + (" (with you)" if whose else "")
    return f"booked {local(span.starts)} to {local(span.ends)}" + (" (yours)" if whose else "")
