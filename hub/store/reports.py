"""Reads for the reports page: loans over time, overdue behaviour, popular and idle items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select

from hub.domain.usage import WEEK, Move, loan_spans, utilization, week_start
from hub.store.base import HUB, StoreBase
from hub.store.schema import assets, late_returns, ledger


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    utilization: dict[str, dict[datetime, float]]
    overdue_rate: dict[datetime, tuple[int, int]]  # week -> (late returns, returns)
    most_borrowed: list[tuple[str, str, int]]
    idle: list[tuple[str, str, str]]


class ReportStore(StoreBase):
    def report(self, start: datetime, end: datetime, top: int = 10) -> Report:
        """Reads ledger rows of the period only (by the ``at`` index)."""
        in_period = and_(ledger.c.at >= start, ledger.c.at < end, ledger.c.kiosk != HUB)
        with self.engine.connect() as conn:
            moves = [
                Move(a, c, t, at)
                for a, c, t, at in conn.execute(
                    select(ledger.c.asset, assets.c.category, ledger.c.type, ledger.c.at)
                    .select_from(ledger.join(assets, assets.c.code == ledger.c.asset))
                    .where(in_period, ledger.c.type.in_(("checkout", "return")))
                    .order_by(ledger.c.asset, ledger.c.at)
                )
            ]
            fleet = {
                c: int(n)
                for c, n in conn.execute(
                    select(assets.c.category, func.count())
                    .where(assets.c.status.not_in(("retired", "disposed")))
                    .group_by(assets.c.category)
                )
            }
            popular = conn.execute(
                select(ledger.c.asset, assets.c.name, func.count().label("n"))
                .select_from(ledger.join(assets, assets.c.code == ledger.c.asset))
                .where(in_period, ledger.c.type == "checkout")
                .group_by(ledger.c.asset, assets.c.name)
                .order_by(func.count().desc(), ledger.c.asset)
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
            late = conn.execute(
                select(late_returns.c.returned).where(
                    late_returns.c.returned >= start, late_returns.c.returned < end
                )
            ).all()
        first = week_start(start)
        origin = first.timestamp()
        counts: dict[int, list[int]] = {}
        for m in moves:
            if m.type == "return":
                counts.setdefault(int((m.at.timestamp() - origin) // WEEK), [0, 0])[1] += 1
        for (at,) in late:
            counts.setdefault(int((at.timestamp() - origin) // WEEK), [0, 0])[0] += 1
        returns = {first + timedelta(weeks=i): v for i, v in counts.items()}
        spans = loan_spans(moves, start, end)
        return Report(
            start=start,
            end=end,
            utilization=utilization(spans, fleet, start, end),
            overdue_rate={w: (v[0], v[1]) for w, v in sorted(returns.items())},
            most_borrowed=[(a, n, int(c)) for a, n, c in popular],
            idle=[(a, n, c) for a, n, c in idle],
        )
