"""An asset's page and a person's page, each read in one short transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select

from hub.domain.bookings import state as booking_state
from hub.domain.strikes import StrikeRules
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.registry import own_fields
from hub.store.schema import (
    assets,
    badges,
    bookings,
    holdings,
    kiosks,
    late_returns,
    ledger,
    people,
    tickets,
)
from hub.store.strike_reads import strikes_of
from hub.store.views import named


@dataclass(frozen=True)
class AssetView:
    code: str
    name: str
    category: str
    status: str
    holder: str | None
    due: datetime | None
    history: list[tuple[Any, ...]]  # (at, type, person, kiosk, condition, reason)


@dataclass(frozen=True)
class PersonListed:
    """A person as the people list shows them."""

    id: str
    name: str
    email: str | None
    groups: str | None  # ";"-separated
    staff: bool
    blocked_until: datetime | None
    blocked_reason: str | None
    loans: int
    overdue: int


class Profiles(StoreBase):
    def asset(self, code: str) -> AssetView | None:
        """One asset with who holds it and its latest custody events, newest first: a summary
        of ``asset_detail``."""
        detail = self.asset_detail(code)
        if detail is None:
            return None
        row, held = detail["asset"], detail["holder"]
        return AssetView(
            code=row["code"],
            name=row["name"],
            category=row["category"],
            status=row["status"],
            holder=held["name"] if held else None,
            due=held["due"] if held else None,
            history=[
                (t["at"], t["type"], t["person"], t["kiosk"], t["condition"], t["reason"])
                for t in detail["timeline"][:20]
            ],
        )

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
                    people.c.name.label("person_name"),
                    ledger.c.kiosk,
                    kiosks.c.name.label("kiosk_name"),
                    ledger.c.condition,
                    ledger.c.reason,
                    ledger.c.detail,
                )
                .select_from(named(ledger))
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
                    bookings.c.released_at,
                )
                .select_from(bookings.join(people, people.c.id == bookings.c.person))
                .where(bookings.c.asset == code)
                .order_by(bookings.c.starts.desc())
                .limit(20)
            ).all()
            pieces = conn.execute(
                select(
                    assets.c.code,
                    assets.c.name,
                    holdings.c.person.label("holder"),
                    people.c.name.label("holder_name"),
                    holdings.c.due,
                )
                .select_from(
                    assets.outerjoin(holdings, holdings.c.asset == assets.c.code).outerjoin(
                        people, people.c.id == holdings.c.person
                    )
                )
                .where(assets.c.kit == code)
                .order_by(assets.c.code)
            ).all()
            history = conn.execute(
                select(tickets, people.c.name.label("person_name"))
                .select_from(tickets.outerjoin(people, people.c.id == tickets.c.person))
                .where(tickets.c.asset == code)
                .order_by(tickets.c.id.desc())
            ).all()
            own = own_fields(conn, (code, code)).get(code, {})
            kit = (
                conn.scalar(select(assets.c.name).where(assets.c.code == row.kit))
                if row.kit
                else None
            )
        return {
            "asset": dict(row._mapping),
            "fields": own,
            "holder": dict(held._mapping) if held else None,
            "timeline": [dict(t._mapping) for t in timeline],
            "bookings": [
                {**b._mapping, "state": booking_state(b.cancelled, b.picked_up, b.released_at)}
                for b in booked
            ],
            "pieces": [dict(p._mapping) for p in pieces],
            # a kit back on the shelf (or with someone else) while these pieces are still out
            "pieces_out": [
                dict(p._mapping)
                for p in pieces
                if p.holder is not None and (held is None or held.person != p.holder)
            ],
            "kit_name": kit,
            "tickets": [dict(t._mapping) for t in history],
        }

    def people_list(
        self, text: str = "", now: datetime | None = None, limit: int = 200, offset: int = 0
    ) -> tuple[list[PersonListed], int]:
        """People matching a search (id, name), with how many items each holds and how many
        of those are overdue at ``now``; and how many match."""
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
            rows = [PersonListed(*r) for r in conn.execute(q)]
            total = conn.scalar(select(func.count()).select_from(people).where(*where)) or 0
        return rows, int(total)

    def person_detail(
        self, person: str, term_start: datetime, rules: StrikeRules | None = None
    ) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            # a PIN's hash is for kiosks only: the dashboard and the API learn whether one is set
            shown = [c for c in people.c if c.name != "pin_hash"]
            has_pin = people.c.pin_hash.is_not(None).label("has_pin")
            row = conn.execute(select(*shown, has_pin).where(people.c.id == person)).first()
            if row is None:
                return None
            owned = conn.execute(
                select(badges.c.uid, badges.c.revoked, badges.c.added_at, badges.c.revoked_at)
                .where(badges.c.person_id == person)
                .order_by(badges.c.uid, badges.c.id)
            ).all()
            loans = conn.execute(
                select(holdings.c.asset, assets.c.name, holdings.c.since, holdings.c.due)
                .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
                .where(holdings.c.person == person)
                .order_by(holdings.c.due)
            ).all()
            history = conn.execute(
                select(
                    ledger.c.at,
                    ledger.c.type,
                    ledger.c.asset,
                    assets.c.name.label("asset_name"),
                    ledger.c.kiosk,
                    kiosks.c.name.label("kiosk_name"),
                    ledger.c.reason,
                    ledger.c.detail,
                )
                .select_from(named(ledger))
                .where(ledger.c.person == person)
                .order_by(ledger.c.at.desc())
                .limit(50)
            ).all()
            late = conn.execute(
                select(
                    late_returns.c.asset,
                    assets.c.name.label("asset_name"),
                    late_returns.c.due,
                    late_returns.c.returned,
                    late_returns.c.minutes_late,
                )
                .select_from(late_returns.outerjoin(assets, assets.c.code == late_returns.c.asset))
                .where(late_returns.c.person == person)
                .order_by(late_returns.c.returned.desc())
                .limit(50)
            ).all()
            rules = rules or StrikeRules()
            earned = strikes_of(conn, [person], rules, term_start).get(person, [])
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
            "strikes": len(earned),  # this term, counted per visit or per item
            "strike_list": [{"at": e.at, "items": e.items} for e in reversed(earned)],
            "late_items": sum(e.items for e in earned),
            "strikes_per": rules.per.value,
            "tickets": [dict(t._mapping) for t in reported],
        }

    def person_names(self, ids: Iterable[str]) -> dict[str, str]:
        """The names of the people with these ids (those that exist), for pages that list ids
        from elsewhere."""
        wanted = sorted({i for i in ids if i})
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for part in chunks(wanted):
                q = select(people.c.id, people.c.name).where(people.c.id.in_(part))
                found.update({pid: name for pid, name in conn.execute(q)})
        return found
