"""Reads for the reports page: loans over time, overdue behaviour, popular and idle items.

Loans are counted as in ``hub.domain.usage.loan_spans``: a checkout of an item that is not out
begins one, the next return ends it (a repeated checkout or return changes nothing). The page
reads them from sums kept per category and week as events are committed
(``hub.store.loan_weeks``): a few rows per week and category, whatever the size of the ledger.
``report_from_ledger`` computes the same from the ledger's events, the reference the sums are
tested against. Python only turns the sums into shares of each week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from hub.domain.lifecycle import LENDABLE, Status
from hub.domain.usage import WEEK, Sums, overdue_by_week, report_weeks, shares, week_start
from hub.store.base import HUB, StoreBase
from hub.store.loan_weeks import edge
from hub.store.schema import assets, audit_log, late_returns, ledger, loan_weeks

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
    def report_mark(self) -> tuple[Any, ...]:
        """What the reports read, in numbers that move whenever it changes: the newest arrival
        in the ledger and how many events arrived then (custody, and tickets opened by kiosks
        and managers), and the newest audit entry (costs, imports, closed tickets,
        depreciation). All by an index, at any size."""
        with self.engine.connect() as conn:
            arrived = conn.scalar(select(func.max(ledger.c.received_at)))
            together = conn.scalar(select(func.count()).where(ledger.c.received_at == arrived))
            audited = conn.scalar(select(func.max(audit_log.c.id)))
        return arrived, together, audited

    def report(self, start: datetime, end: datetime, top: int = 10) -> Report:
        """The reports page's figures; loans from the sums kept per category and week
        (hub.store.loan_weeks), other figures from ledger rows of the period (by the ``at``
        index)."""
        return self._report(start, end, top, _summed)

    def report_from_ledger(self, start: datetime, end: datetime, top: int = 10) -> Report:
        """The same figures with the loans summed from the ledger's events (one window over
        each asset's custody events up to the period's end): what the kept sums must agree
        with, at a cost that grows with the ledger."""
        return self._report(start, end, top, _windowed)

    def _report(self, start: datetime, end: datetime, top: int, loans: _Source) -> Report:
        in_period = and_(ledger.c.at >= start, ledger.c.at < end, ledger.c.kiosk != HUB)
        weeks = report_weeks(start, end)
        first = weeks[0] if weeks else week_start(start)
        with self.engine.connect() as conn:
            clock = _Clock(conn.dialect.name, first)
            starts, ends, returned = _clipped(loans(conn, clock, start, end), clock, start, end)
            fleet = {
                c: int(n)
                for c, n in conn.execute(
                    select(assets.c.category, func.count())
                    .where(assets.c.status.not_in((Status.RETIRED.value, Status.DISPOSED.value)))
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
            idle = _idle(conn, list(fleet), start, end)
            late_week = clock.week(late_returns.c.returned)
            late = {
                int(w): int(n)
                for w, n in conn.execute(
                    select(late_week, func.count())
                    .where(late_returns.c.returned >= start, late_returns.c.returned < end)
                    .group_by(late_week)
                )
            }
        return Report(
            start=start,
            end=end,
            utilization=shares(starts, ends, fleet, weeks, start, end),
            overdue_rate=overdue_by_week(first, late, returned),
            most_borrowed=[(a, n, int(c)) for a, n, c in popular],
            idle=idle,
        )


_IDLE = 500  # idle items listed at most
_PART = 500  # assets per look-up: bound values stay below old SQLite's limit of 999


def _idle(
    conn: Connection, categories: list[str], start: datetime, end: datetime
) -> list[tuple[str, str, str]]:
    """The first items on the shelf or out (by category and code) not lent in the period:
    each category's read in code order a few hundred at a time (the category index), their
    checkouts of the period looked up by the (asset, at) index, until enough are found."""
    idle: list[tuple[str, str, str]] = []
    for category in sorted(categories):
        shelf = conn.execute(
            select(assets.c.code, assets.c.name)
            .where(
                assets.c.category == category,
                assets.c.status.in_(sorted(s.value for s in LENDABLE)),
            )
            .order_by(assets.c.code)
            .execution_options(yield_per=_PART)
        )
        for rows in shelf.partitions():
            part = [(code, name) for code, name in rows]
            lent = set(
                conn.scalars(
                    select(ledger.c.asset)
                    .where(
                        ledger.c.asset.in_([code for code, _ in part]),
                        ledger.c.type == "checkout",
                        ledger.c.at >= start,
                        ledger.c.at < end,
                    )
                    .distinct()
                )
            )
            idle += [(code, name, category) for code, name in part if code not in lent]
            if len(idle) >= _IDLE:
                break
        shelf.close()
        if len(idle) >= _IDLE:
            break
    return idle[:_IDLE]


# per category and week: (how many loan spans start or end in it, the sum of those times)
_Sums = Sums


@dataclass
class _Moves:
    """A period's loans per category: how many were out when it began, and per week (its
    number from the first week's Monday) the loans begun and ended in the period, with the
    sums of those times in seconds since the first week's Monday."""

    out_at_start: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    starts: _Sums = field(default_factory=lambda: defaultdict(dict))
    ends: _Sums = field(default_factory=lambda: defaultdict(dict))


_Source = Callable[[Connection, _Clock, datetime, datetime], _Moves]


def _clipped(
    moves: _Moves, clock: _Clock, start: datetime, end: datetime
) -> tuple[_Sums, _Sums, dict[int, int]]:
    """The loans clipped to the period, as ``_shares`` takes them: a loan out when it began
    starts at its start, one still out at its end ends there; and the returns that ended a
    loan, per week."""
    origin = clock.origin
    start_s, end_s = start.timestamp() - origin, end.timestamp() - origin
    start_w, end_w = int(start_s // WEEK), int(end_s // WEEK)
    starts: _Sums = defaultdict(dict)
    stops: _Sums = defaultdict(dict)
    returned: dict[int, int] = defaultdict(int)
    for category in sorted(set(moves.out_at_start) | set(moves.starts) | set(moves.ends)):
        out = moves.out_at_start.get(category, 0)
        _add(starts, category, start_w, out, out * start_s)
        for week, (n, total) in moves.starts.get(category, {}).items():
            _add(starts, category, week, n, total)
            out += n
        for week, (n, total) in moves.ends.get(category, {}).items():
            _add(stops, category, week, n, total)
            returned[week] += n
            out -= n
        _add(stops, category, end_w, out, out * end_s)
    return starts, stops, {w: n for w, n in returned.items() if n}


def _summed(conn: Connection, clock: _Clock, start: datetime, end: datetime) -> _Moves:
    """The period's loans from the kept sums: the weeks before the period say how many were
    out when it began, the period's weeks what began and ended in it. Where the period begins
    or ends inside a week, the loans begun or ended in that week outside the period are
    derived from the ledger (``loan_weeks.edge``) and moved out of it."""
    moves = _Moves()
    first = week_start(start)
    w = loan_weeks
    for category, begun, ended in conn.execute(
        select(w.c.category, func.sum(w.c.starts), func.sum(w.c.ends))
        .where(w.c.week < first)
        .group_by(w.c.category)
    ):
        moves.out_at_start[category] += int(begun) - int(ended)
    counts: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for r in conn.execute(select(w).where(w.c.week >= first, w.c.week < end)):
        week = (r.week - first) // timedelta(weeks=1)
        counts[r.category][week] = [r.starts, r.start_ms, r.ends, r.end_ms]
    # where the period begins inside its first week: what began or ended before it
    for category, column, ms in edge(conn, first, start):
        row = counts[category].setdefault(0, [0, 0, 0, 0])
        row[column] -= 1
        row[column + 1] -= ms
        moves.out_at_start[category] += 1 if column == 0 else -1
    # where it ends inside its last week: what began or ended after it
    last = week_start(end)
    if last < end:
        week = (last - first) // timedelta(weeks=1)
        for category, column, ms in edge(conn, end, last + timedelta(weeks=1)):
            row = counts[category].setdefault(week, [0, 0, 0, 0])
            row[column] -= 1
            row[column + 1] -= ms
    for category, weeks in counts.items():
        for week, (b, b_ms, e, e_ms) in weeks.items():
            offset = week * WEEK
            if b:
                moves.starts[category][week] = (b, b * offset + b_ms / 1000)
            if e:
                moves.ends[category][week] = (e, e * offset + e_ms / 1000)
    return moves


def _windowed(conn: Connection, clock: _Clock, start: datetime, end: datetime) -> _Moves:
    """The period's loans from the ledger: one ordered pass over every asset's custody events
    up to the period's end (a window over each asset's events, in event order) tells each
    event whether it changes anything: a checkout that follows a return (or nothing) begins a
    loan, a return that follows a checkout ends one. Those before the period say how many
    loans were out when it began; those in it are summed per category and week."""
    order: tuple[Any, ...] = (ledger.c.at, ledger.c.kiosk, ledger.c.seq, ledger.c.id)
    if clock.dialect == "postgresql":  # event order compares ids as Python does: by code point
        order = (ledger.c.at, ledger.c.kiosk.collate("C"), ledger.c.seq, ledger.c.id.collate("C"))
    moves_q = (
        select(
            assets.c.category,
            ledger.c.type,
            ledger.c.at,
            func.lag(ledger.c.type).over(partition_by=ledger.c.asset, order_by=order).label("prev"),
        )
        .select_from(ledger.join(assets, assets.c.code == ledger.c.asset))
        .where(ledger.c.at < end, ledger.c.kiosk != HUB, ledger.c.type.in_(_CUSTODY))
        .subquery("moves")
    )
    mv = moves_q.c
    lends = and_(mv.type == "checkout", or_(mv.prev.is_(None), mv.prev == "return"))
    ends = and_(mv.type == "return", mv.prev == "checkout")
    before = mv.at < start
    week = case((before, None), else_=clock.week(mv.at))
    s = clock.seconds(mv.at)

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    def total(cond: Any) -> Any:
        return func.sum(case((and_(cond, ~before), s), else_=0.0))

    moves = _Moves()
    for category, w, lent, lent_s, back, back_s in conn.execute(
        select(mv.category, week, count(lends), total(lends), count(ends), total(ends)).group_by(
            mv.category, week
        )
    ):
        if w is None:
            moves.out_at_start[category] += int(lent) - int(back)
            continue
        if lent:
            moves.starts[category][int(w)] = (int(lent), float(lent_s))
        if back:
            moves.ends[category][int(w)] = (int(back), float(back_s))
    return moves


def _add(sums: _Sums, category: str, week: int, n: int, total: float) -> None:
    if n:
        was_n, was_total = sums[category].get(week, (0, 0.0))
        sums[category][week] = (was_n + n, was_total + total)
