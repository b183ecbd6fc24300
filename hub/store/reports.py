"""Reads for the reports page: loans over time, overdue behaviour, popular and idle items.

The figures are summed by the database: one window over each asset's custody events of the
period says which of them start or end a loan (a checkout that follows a checkout, or a return
that follows a return, changes nothing, as in ``hub.domain.usage.loan_spans``), and loan starts,
loan ends and returns are counted and summed per category and week. What comes back is a few
rows per week, whatever the size of the ledger; Python only turns those sums into shares of
each week.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from hub.domain.usage import WEEK, week_start
from hub.store.base import HUB, StoreBase
from hub.store.schema import assets, holdings, late_returns, ledger

_CUSTODY = ("checkout", "return")
_UNIX_EPOCH_JD = 2440587.5  # the Julian day of 1970-01-01 00:00 UTC


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    utilization: dict[str, dict[datetime, float]]
    overdue_rate: dict[datetime, tuple[int, int]]  # week -> (late returns, returns)
    most_borrowed: list[tuple[str, str, int]]
    idle: list[tuple[str, str, str]]


class _Clock:
    """Times as the database computes them: seconds since the first report week began, and
    the week's number, in each dialect's own date arithmetic."""

    def __init__(self, dialect: str, origin: datetime) -> None:
        self.dialect = dialect
        self.origin = origin.timestamp()

    def seconds(self, col: Any) -> ColumnElement[float]:
        if self.dialect == "sqlite":
            # julianday() keeps milliseconds; rounded to them, a time on a week's edge is exact
            days = func.julianday(col) - (self.origin / 86400 + _UNIX_EPOCH_JD)
            return cast(func.round(days * 86400.0, 3), Float)
        return cast(extract("epoch", col), Float) - self.origin

    def week(self, col: Any) -> ColumnElement[int]:
        if self.dialect == "sqlite":
            # whole seconds (exact), then integer division: no rounding at a week's edge
            whole = cast(func.strftime("%s", col), Integer) - int(self.origin)
            return cast(whole.self_group().op("/")(int(WEEK)), Integer)
        since = cast(extract("epoch", col), Float) - self.origin
        return cast(func.floor(since.self_group().op("/")(WEEK)), Integer)


class ReportStore(StoreBase):
    def report(self, start: datetime, end: datetime, top: int = 10) -> Report:
        """Reads ledger rows of the period only (by the ``at`` index)."""
        in_period = and_(ledger.c.at >= start, ledger.c.at < end, ledger.c.kiosk != HUB)
        first = week_start(start)
        weeks: list[datetime] = []
        while first + timedelta(weeks=len(weeks)) < end:
            weeks.append(first + timedelta(weeks=len(weeks)))
        with self.engine.connect() as conn:
            clock = _Clock(conn.dialect.name, first)
            starts, ends, returned = _loans(conn, clock, start, end)
            fleet = {
                c: int(n)
                for c, n in conn.execute(
                    select(assets.c.category, func.count())
                    .where(assets.c.status.not_in(("retired", "disposed")))
                    .group_by(assets.c.category)
                )
            }
            # counted by asset alone (the index's order), names joined to the top few only
            counted = (
                select(ledger.c.asset, func.count().label("n"))
                .where(in_period, ledger.c.type == "checkout")
                .group_by(ledger.c.asset)
                .subquery("counted")
            )
            popular = conn.execute(
                select(counted.c.asset, assets.c.name, counted.c.n)
                .select_from(counted.join(assets, assets.c.code == counted.c.asset))
                .order_by(counted.c.n.desc(), counted.c.asset)
                .limit(top)
            ).all()
            lent = exists().where(
                ledger.c.asset == assets.c.code,
                ledger.c.type == "checkout",
                ledger.c.at >= start,
                ledger.c.at < end,
            )
            idle = conn.execute(
                select(assets.c.code, assets.c.name, assets.c.category)
                .where(assets.c.status.in_(("available", "out")), ~lent)
                .order_by(assets.c.category, assets.c.code)
                .limit(500)
            ).all()
            late_week = clock.week(late_returns.c.returned)
            late = {
                int(w): int(n)
                for w, n in conn.execute(
                    select(late_week, func.count())
                    .where(late_returns.c.returned >= start, late_returns.c.returned < end)
                    .group_by(late_week)
                )
            }
        counts: dict[int, list[int]] = {}
        for w, n in returned.items():
            counts.setdefault(w, [0, 0])[1] += n
        for w, n in late.items():
            counts.setdefault(w, [0, 0])[0] += n
        return Report(
            start=start,
            end=end,
            utilization=_shares(starts, ends, fleet, weeks, start, end),
            overdue_rate={
                first + timedelta(weeks=i): (v[0], v[1]) for i, v in sorted(counts.items())
            },
            most_borrowed=[(a, n, int(c)) for a, n, c in popular],
            idle=[(a, n, c) for a, n, c in idle],
        )


# per category and week: (how many loan spans start or end in it, the sum of those times)
_Sums = dict[str, dict[int, tuple[int, float]]]


def _loans(
    conn: Connection, clock: _Clock, start: datetime, end: datetime
) -> tuple[_Sums, _Sums, dict[int, int]]:
    """The period's loans as sums per category and week: where loans start, where they end
    (both clipped to the period), and how many returns ended a loan.

    One ordered pass over the period's custody events (a window over each asset's events)
    tells each event whether it changes anything: a checkout after a return, a return after a
    checkout, the asset's first event in the period (a return only if the item was out when
    the period began). Loans need no pairing: each event that changes something starts or ends
    a loan; an item out at the start starts one then, and the loans begun and not ended (per
    asset at most one) end at the end."""
    in_period = and_(ledger.c.at >= start, ledger.c.at < end, ledger.c.kiosk != HUB)
    order = (ledger.c.at, ledger.c.id)
    moves = (
        select(
            ledger.c.asset,
            assets.c.category,
            ledger.c.type,
            clock.seconds(ledger.c.at).label("s"),
            clock.week(ledger.c.at).label("w"),
            func.lag(ledger.c.type).over(partition_by=ledger.c.asset, order_by=order).label("prev"),
        )
        .select_from(ledger.join(assets, assets.c.code == ledger.c.asset))
        .where(in_period, ledger.c.type.in_(_CUSTODY))
        .subquery("moves")
    )
    mv = moves.c
    # out when the period began: its latest custody event before the period is a checkout
    before = ledger.alias("before")
    latest = (
        select(func.max(before.c.at))
        .where(before.c.asset == mv.asset, before.c.at < start, before.c.type.in_(_CUSTODY))
        .correlate(moves)
        .scalar_subquery()
    )
    out_at_start = exists().where(
        ledger.c.asset == mv.asset, ledger.c.type == "checkout", ledger.c.at == latest
    )
    first = mv.prev.is_(None)
    lends = and_(mv.type == "checkout", or_(first, mv.prev == "return"))
    ends = and_(mv.type == "return", mv.prev == "checkout")
    held = and_(first, mv.type == "return", out_at_start)
    ended = or_(ends, held)  # a return that ends a loan

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    def total(cond: Any) -> Any:
        return func.sum(case((cond, mv.s), else_=0.0))

    origin = clock.origin
    start_s, end_s = start.timestamp() - origin, end.timestamp() - origin
    start_w, end_w = int(start_s // WEEK), int(end_s // WEEK)
    starts: _Sums = defaultdict(dict)
    stops: _Sums = defaultdict(dict)
    returned: dict[int, int] = defaultdict(int)
    at_start: dict[str, int] = defaultdict(int)  # loans begun before the period
    at_end: dict[str, int] = defaultdict(int)  # loans still open when it ends
    for category, w, lent, lent_s, back, back_s, was_out in conn.execute(
        select(
            mv.category,
            mv.w,
            count(lends),
            total(lends),
            count(ended),
            total(ended),
            count(held),
        ).group_by(mv.category, mv.w)
    ):
        week = int(w)
        _add(starts, category, week, int(lent), float(lent_s))
        _add(stops, category, week, int(back), float(back_s))
        returned[week] += int(back)
        at_start[category] += int(was_out)
        # each asset's loans alternate: those begun and not ended are still out at the end
        at_end[category] += int(lent) + int(was_out) - int(back)
    touched = exists().where(
        ledger.c.asset == holdings.c.asset, in_period, ledger.c.type.in_(_CUSTODY)
    )
    for category, n in conn.execute(
        select(assets.c.category, func.count())
        .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
        .where(holdings.c.since < start, ~touched)
        .group_by(assets.c.category)
    ):
        at_start[category] += int(n)
        at_end[category] += int(n)
    for category, n in at_start.items():
        _add(starts, category, start_w, n, n * start_s)
    for category, n in at_end.items():
        _add(stops, category, end_w, n, n * end_s)
    return starts, stops, returned


def _add(sums: _Sums, category: str, week: int, n: int, total: float) -> None:
    if n:
        was_n, was_total = sums[category].get(week, (0, 0.0))
        sums[category][week] = (was_n + n, was_total + total)


def _shares(
    starts: _Sums,
    ends: _Sums,
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
