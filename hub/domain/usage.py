"""Utilization from custody events: loan time per category and week, as a share of the hours
its items could have been out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
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


@dataclass(frozen=True)
class Loans:
    spans: list[tuple[str, datetime, datetime]]  # (category, from, to), clipped to the period
    returns: list[datetime]  # returns that ended a loan (a stray or repeated one does not)


def loan_spans(
    moves: Iterable[Move],
    start: datetime,
    end: datetime,
    held_at_start: Mapping[str, str] | None = None,
) -> Loans:
    """Every loan overlapping [start, end), from checkouts and returns in time order per asset.

    ``held_at_start`` (asset -> category) names the items out when the period began; a loan
    still open at ``end`` runs to ``end``; a return of an item that was not out ends nothing.
    """
    open_since = {asset: (cat, start) for asset, cat in (held_at_start or {}).items()}
    spans: list[tuple[str, datetime, datetime]] = []
    returns: list[datetime] = []
    for m in moves:
        if m.type == "checkout":
            open_since.setdefault(m.asset, (m.category, max(m.at, start)))
        elif m.type == "return" and m.asset in open_since:
            category, since = open_since.pop(m.asset)
            returns.append(m.at)
            if m.at > since:
                spans.append((category, since, min(m.at, end)))
    spans.extend((c, since, end) for c, since in open_since.values() if end > since)
    return Loans(spans, returns)


WEEK = 7 * 24 * 3600.0


def utilization(
    spans: Iterable[tuple[str, datetime, datetime]],
    fleet: dict[str, int],
    start: datetime,
    end: datetime,
) -> dict[str, dict[datetime, float]]:
    """Per category and week (Monday 00:00 UTC): loan hours / (items x hours in the week).

    Works in seconds since the first week began: a year of loans is a few hundred thousand
    spans, and datetime arithmetic per span and week would dominate the reports page.
    """
    first = week_start(start)
    origin = first.timestamp()
    weeks: list[datetime] = []
    w = first
    while w < end:
        weeks.append(w)
        w += timedelta(days=7)
    lo_all, hi_all = start.timestamp(), end.timestamp()
    seconds: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(weeks))
    for category, a, b in spans:
        x, y = max(a.timestamp(), lo_all), min(b.timestamp(), hi_all)
        if y <= x:
            continue
        row = seconds[category]
        i = int((x - origin) // WEEK)
        while i < len(weeks) and origin + i * WEEK < y:
            lo, hi = max(x, origin + i * WEEK), min(y, origin + (i + 1) * WEEK)
            row[i] += hi - lo
            i += 1
    out: dict[str, dict[datetime, float]] = {}
    for category, count in sorted(fleet.items()):
        row = seconds.get(category, [0.0] * len(weeks))
        out[category] = {
            wk: min(1.0, row[i] / (count * _week_seconds(i, origin, lo_all, hi_all)))
            if count
            else 0.0
            for i, wk in enumerate(weeks)
        }
    return out


def _week_seconds(i: int, origin: float, start: float, end: float) -> float:
    lo, hi = max(origin + i * WEEK, start), min(origin + (i + 1) * WEEK, end)
    return max(hi - lo, 1e-9)


# per category, per week's number (from the first report week): loans begun (or ended) in it,
# and the sum of their times in seconds since that first week began
Sums = dict[str, dict[int, tuple[int, float]]]


def report_weeks(start: datetime, end: datetime) -> list[datetime]:
    """The weeks (Monday 00:00 UTC) a report from ``start`` to ``end`` covers, in order."""
    first = week_start(start)
    weeks: list[datetime] = []
    while first + timedelta(weeks=len(weeks)) < end:
        weeks.append(first + timedelta(weeks=len(weeks)))
    return weeks


def overdue_by_week(
    first: datetime, late: Mapping[int, int], returned: Mapping[int, int]
) -> dict[datetime, tuple[int, int]]:
    """Late returns and all returns per week, keyed by the week's start: ``late`` and
    ``returned`` count them per week's number from ``first``."""
    counts: dict[int, list[int]] = {}
    for w, n in returned.items():
        counts.setdefault(w, [0, 0])[1] += n
    for w, n in late.items():
        counts.setdefault(w, [0, 0])[0] += n
    return {first + timedelta(weeks=i): (v[0], v[1]) for i, v in sorted(counts.items())}


def shares(
    starts: Sums,
    ends: Sums,
    fleet: dict[str, int],
    weeks: list[datetime],
    start: datetime,
    end: datetime,
) -> dict[str, dict[datetime, float]]:
    """Per category and week (Monday 00:00 UTC): loan time / (items x time in the week).

    The loan time up to t is the sum over spans begun before t of (t - begin), less the same
    over spans ended before t: with the counts and sums per week that is a running total."""
    origin = weeks[0].timestamp() if weeks else start.timestamp()
    lo, hi = start.timestamp() - origin, end.timestamp() - origin
    out: dict[str, dict[datetime, float]] = {}
    for category, count in sorted(fleet.items()):
        began, stopped = starts.get(category, {}), ends.get(category, {})
        n = total = 0.0  # spans begun minus ended before the current week, and their sum
        row: dict[datetime, float] = {}
        for i, week in enumerate(weeks):
            edge = i * WEEK
            held_before = n * edge - total
            b_n, b_sum = began.get(i, (0, 0.0))
            s_n, s_sum = stopped.get(i, (0, 0.0))
            n += b_n - s_n
            total += b_sum - s_sum
            held_after = n * (edge + WEEK) - total
            seconds = held_after - held_before
            span = max(min(edge + WEEK, hi) - max(edge, lo), 1e-9)
            row[week] = min(1.0, seconds / (count * span)) if count else 0.0
        out[category] = row
    return out
