"""Utilization from custody events: loan time per category and week, as a share of the hours
its items could have been out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Move:
    asset: str
    category: str
    type: str  # checkout or return
    at: datetime


def week_start(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def loan_spans(
    moves: Iterable[Move], start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(category, from, to) of every loan overlapping [start, end), clipped to it.

    ``moves`` in time order per asset; a loan still open at ``end`` runs to ``end``; a return
    with no checkout seen started before ``start``.
    """
    open_since: dict[str, tuple[str, datetime]] = {}
    spans: list[tuple[str, datetime, datetime]] = []
    for m in moves:
        if m.type == "checkout":
            open_since.setdefault(m.asset, (m.category, max(m.at, start)))
        elif m.type == "return":
            category, since = open_since.pop(m.asset, (m.category, start))
            if m.at > since:
                spans.append((category, since, min(m.at, end)))
    spans.extend((c, since, end) for c, since in open_since.values() if end > since)
    return spans


def utilization(
    spans: Iterable[tuple[str, datetime, datetime]],
    fleet: dict[str, int],
    start: datetime,
    end: datetime,
) -> dict[str, dict[datetime, float]]:
    """Per category and week (Monday 00:00 UTC): loan hours / (items x hours in the week)."""
    weeks: list[datetime] = []
    w = week_start(start)
    while w < end:
        weeks.append(w)
        w += timedelta(days=7)
    hours: dict[str, dict[datetime, float]] = defaultdict(lambda: dict.fromkeys(weeks, 0.0))
    for category, a, b in spans:
        w = week_start(a)
        while w < b:
            lo, hi = max(a, w), min(b, w + timedelta(days=7))
            if hi > lo and w in hours[category]:
                hours[category][w] += (hi - lo).total_seconds() / 3600
            w += timedelta(days=7)
    out: dict[str, dict[datetime, float]] = {}
    for category, count in sorted(fleet.items()):
        per = hours.get(category, dict.fromkeys(weeks, 0.0))
        out[category] = {
            wk: min(1.0, h / (count * _week_hours(wk, start, end))) if count else 0.0
            for wk, h in per.items()
        }
    return out


def _week_hours(week: datetime, start: datetime, end: datetime) -> float:
    lo, hi = max(week, start), min(week + timedelta(days=7), end)
    return max((hi - lo).total_seconds() / 3600, 1e-9)
