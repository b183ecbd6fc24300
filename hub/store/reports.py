"""Reads for the reports page: loans over time, overdue behaviour, popular and idle items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, select

from hub.domain.usage import WEEK, Move, loan_spans, utilization, week_start
from hub.store.base import HUB, StoreBase
from hub.store.schema import assets, holdings, late_returns, ledger


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    utilization: dict[str, dict[datetime, float]]
    overdue_rate: dict[datetime, tuple[int, int]]  # week -> (late returns, returns)
    most_borrowed: list[tuple[str, str, int]]
    idle: list[tuple[str, str, str]]


class ReportStore(StoreBase):
    def _held_at(self, conn: Connection, start: datetime, moves: list[Move]) -> dict[str, str]:
        """Items out when the period began (asset -> category): still out since before it,
        or whose first event in it is a return of a loan that began before it."""
        touched = {m.asset for m in moves}
        held = {
            asset: category
            for asset, category in conn.execute(
                select(holdings.c.asset, assets.c.category)
                .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
                .where(holdings.c.since < start)
            )
            if asset not in touched
        }
        first: dict[str, Move] = {}
        for m in moves:
            first.setdefault(m.asset, m)
        returned = [a for a, m in first.items() if m.type == "return"]
        custody = ledger.c.type.in_(("checkout", "return"))
        for i in range(0, len(returned), 500):
            chunk = returned[i : i + 500]
            before = ledger.alias("before")
            latest = (
                select(func.max(before.c.at))
                .where(
                    before.c.asset == ledger.c.asset,
                    before.c.at < start,
                    before.c.type.in_(("checkout", "return")),
                )
                .scalar_subquery()
            )
            for asset, kind in conn.execute(
                select(ledger.c.asset, ledger.c.type).where(
                    ledger.c.asset.in_(chunk), custody, ledger.c.at == latest
                )
            ):
                if kind == "checkout":
                    held[asset] = first[asset].category
        return held

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
            held = self._held_at(conn, start, moves)
            late = conn.execute(
                select(late_returns.c.returned).where(
                    late_returns.c.returned >= start, late_returns.c.returned < end
                )
            ).all()
        loans = loan_spans(moves, start, end, held)
        first = week_start(start)
        origin = first.timestamp()
        counts: dict[int, list[int]] = {}
        for at in loans.returns:
            counts.setdefault(int((at.timestamp() - origin) // WEEK), [0, 0])[1] += 1
        for (at,) in late:
            counts.setdefault(int((at.timestamp() - origin) // WEEK), [0, 0])[0] += 1
        returns = {first + timedelta(weeks=i): v for i, v in counts.items()}
        return Report(
            start=start,
            end=end,
            utilization=utilization(loans.spans, fleet, start, end),
            overdue_rate={w: (v[0], v[1]) for w, v in sorted(returns.items())},
            most_borrowed=[(a, n, int(c)) for a, n, c in popular],
            idle=[(a, n, c) for a, n, c in idle],
        )
