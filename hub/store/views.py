"""Reads shaped for the dashboard: each page's data in one short transaction, by the indexes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select

from hub.store.base import StoreBase
from hub.store.schema import (
    assets,
    badges,
    bookings,
    holdings,
    kiosk_status,
    kiosks,
    late_returns,
    ledger,
    people,
    tickets,
)


@dataclass(frozen=True)
class Counts:
    out: int
    overdue: int
    due_today: int
    assets: int
    maintenance: int


@dataclass(frozen=True)
class FeedEntry:
    id: str
    at: datetime  # when the hub received it
    type: str
    kiosk: str
    asset: str | None
    asset_name: str | None
    person: str | None
    person_name: str | None
    detail: str | None


@dataclass(frozen=True)
class KioskView:
    id: str
    name: str
    location: str | None
    state: str
    last_seen: datetime | None
    version: str | None
    outbox: int | None
    replica: int | None
    profile: str | None
    faults: tuple[str, ...] = ()  # devices the kiosk says are not working


class ViewStore(StoreBase):
    def counts(self, now: datetime, end_of_day: datetime) -> Counts:
        with self.engine.connect() as conn:
            out = conn.scalar(select(func.count()).select_from(holdings)) or 0
            overdue = conn.scalar(select(func.count()).where(holdings.c.due < now)) or 0
            today = (
                conn.scalar(
                    select(func.count()).where(holdings.c.due >= now, holdings.c.due < end_of_day)
                )
                or 0
            )
            total = conn.scalar(select(func.count()).select_from(assets)) or 0
            held_back = (
                conn.scalar(select(func.count()).where(assets.c.status == "maintenance")) or 0
            )
        return Counts(int(out), int(overdue), int(today), int(total), int(held_back))

    def feed(self, after: datetime | None = None, limit: int = 20) -> list[FeedEntry]:
        """Custody events by arrival at the hub; newest first without ``after``, else the ones
        that arrived at or after it, oldest first (a live page skips those it has shown)."""
        q = select(
            ledger.c.received_at,
            ledger.c.id,
            ledger.c.type,
            ledger.c.kiosk,
            ledger.c.asset,
            assets.c.name,
            ledger.c.person,
            people.c.name,
            ledger.c.detail,
        ).select_from(
            ledger.outerjoin(assets, assets.c.code == ledger.c.asset).outerjoin(
                people, people.c.id == ledger.c.person
            )
        )
        if after is not None:
            q = q.where(ledger.c.received_at >= after).order_by(ledger.c.received_at, ledger.c.id)
        else:
            q = q.order_by(ledger.c.received_at.desc(), ledger.c.id.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(q.limit(limit)).all()
        return [FeedEntry(r[1], r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    def kiosk_views(self) -> list[KioskView]:
        q = (
            select(
                kiosks.c.id,
                kiosks.c.name,
                kiosks.c.location,
                kiosk_status.c.state,
                kiosk_status.c.updated_at,
                kiosk_status.c.payload,
            )
            .select_from(kiosks.outerjoin(kiosk_status, kiosk_status.c.kiosk == kiosks.c.id))
            .order_by(kiosks.c.id)
        )
        out = []
        with self.engine.connect() as conn:
            for kid, name, location, state, seen, payload in conn.execute(q):
                status: dict[str, Any] = {}
                if payload:
                    try:
                        status = json.loads(payload)
                    except ValueError:
                        status = {}
                out.append(
                    KioskView(
                        kid,
                        name,
                        location,
                        state or "never seen",
                        seen,
                        status.get("version"),
                        status.get("outbox"),
                        status.get("replica"),
                        status.get("profile"),
                        tuple(str(f) for f in status.get("faults") or ())
                        if state == "online"
                        else (),
                    )
                )
        return out

    def asset_detail(self, code: str) -> dict[str, Any] | None:
        """An asset's page: details, holder, timeline, bookings and maintenance history."""
        with self.engine.connect() as conn:
            row = conn.execute(select(assets).where(assets.c.code == code)).first()
            if row is None:
                return None
            held = conn.execute(
                select(holdings.c.person, people.c.name, holdings.c.due, holdings.c.since)
                .select_from(holdings.join(people, people.c.id == holdings.c.person))
                .where(holdings.c.asset == code)
            ).first()
            timeline = conn.execute(
                select(
                    ledger.c.at,
                    ledger.c.type,
                    ledger.c.person,
                    ledger.c.kiosk,
                    ledger.c.condition,
                    ledger.c.reason,
                    ledger.c.detail,
                )
                .where(ledger.c.asset == code)
                .order_by(ledger.c.at.desc())
                .limit(50)
            ).all()
            booked = conn.execute(
                select(
                    bookings.c.id,
                    bookings.c.person,
                    people.c.name,
                    bookings.c.starts,
                    bookings.c.ends,
                    bookings.c.cancelled,
                    bookings.c.picked_up,
                )
                .select_from(bookings.join(people, people.c.id == bookings.c.person))
                .where(bookings.c.asset == code)
                .order_by(bookings.c.starts.desc())
                .limit(20)
            ).all()
            pieces = conn.execute(
                select(assets.c.code, assets.c.name).where(assets.c.kit == code)
            ).all()
            history = conn.execute(
                select(tickets).where(tickets.c.asset == code).order_by(tickets.c.id.desc())
            ).all()
        return {
            "asset": dict(row._mapping),
            "holder": dict(held._mapping) if held else None,
            "timeline": [dict(t._mapping) for t in timeline],
            "bookings": [dict(b._mapping) for b in booked],
            "pieces": [dict(p._mapping) for p in pieces],
            "tickets": [dict(t._mapping) for t in history],
        }

    def people_list(
        self, text: str = "", now: datetime | None = None, limit: int = 200, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        held = (
            select(
                holdings.c.person.label("person"),
                func.count().label("loans"),
                func.sum(case((holdings.c.due < now, 1), else_=0)).label("overdue")
                if now is not None
                else func.count().label("overdue"),
            )
            .group_by(holdings.c.person)
            .subquery()
        )
        where = []
        if text:
            like = f"%{text.lower()}%"
            where.append(
                or_(func.lower(people.c.id).like(like), func.lower(people.c.name).like(like))
            )
        q = (
            select(
                people.c.id,
                people.c.name,
                people.c.email,
                people.c.groups,
                people.c.staff,
                people.c.blocked_until,
                people.c.blocked_reason,
                func.coalesce(held.c.loans, 0).label("loans"),
                func.coalesce(held.c.overdue, 0).label("overdue"),
            )
            .select_from(people.outerjoin(held, held.c.person == people.c.id))
            .where(*where)
            .order_by(people.c.name, people.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
            total = conn.scalar(select(func.count()).select_from(people).where(*where)) or 0
        return rows, int(total)

    def person_detail(self, person: str, term_start: datetime) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(people).where(people.c.id == person)).first()
            if row is None:
                return None
            owned = conn.execute(
                select(badges.c.uid, badges.c.revoked)
                .where(badges.c.person_id == person)
                .order_by(badges.c.uid)
            ).all()
            loans = conn.execute(
                select(holdings.c.asset, assets.c.name, holdings.c.since, holdings.c.due)
                .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
                .where(holdings.c.person == person)
                .order_by(holdings.c.due)
            ).all()
            history = conn.execute(
                select(ledger.c.at, ledger.c.type, ledger.c.asset, ledger.c.kiosk, ledger.c.reason)
                .where(ledger.c.person == person)
                .order_by(ledger.c.at.desc())
                .limit(50)
            ).all()
            late = conn.execute(
                select(
                    late_returns.c.asset,
                    late_returns.c.due,
                    late_returns.c.returned,
                    late_returns.c.minutes_late,
                )
                .where(late_returns.c.person == person)
                .order_by(late_returns.c.returned.desc())
                .limit(50)
            ).all()
            strikes = conn.scalar(
                select(
                    func.count(
                        func.distinct(
                            func.coalesce(late_returns.c.session, late_returns.c.event_id)
                        )
                    )
                ).where(
                    late_returns.c.person == person,
                    late_returns.c.returned >= term_start,
                    late_returns.c.forgiven.is_(False),
                )
            )
            reported = conn.execute(
                select(tickets.c.id, tickets.c.asset, tickets.c.kind, tickets.c.opened_at)
                .where(tickets.c.person == person)
                .order_by(tickets.c.id.desc())
                .limit(20)
            ).all()
        return {
            "person": dict(row._mapping),
            "badges": [dict(b._mapping) for b in owned],
            "loans": [dict(loan._mapping) for loan in loans],
            "history": [dict(h._mapping) for h in history],
            "late": [dict(x._mapping) for x in late],
            "strikes": int(strikes or 0),
            "tickets": [dict(t._mapping) for t in reported],
        }

    def bookings_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Live bookings overlapping a window, by asset then start."""
        q = (
            select(
                bookings.c.id,
                bookings.c.asset,
                assets.c.name.label("asset_name"),
                bookings.c.person,
                people.c.name.label("person_name"),
                bookings.c.starts,
                bookings.c.ends,
                bookings.c.picked_up,
            )
            .select_from(
                bookings.join(assets, assets.c.code == bookings.c.asset).join(
                    people, people.c.id == bookings.c.person
                )
            )
            .where(
                bookings.c.cancelled.is_(False), bookings.c.starts < end, bookings.c.ends > start
            )
            .order_by(bookings.c.asset, bookings.c.starts)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]
