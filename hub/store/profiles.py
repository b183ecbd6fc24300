"""An asset's page and a person's page, each read in one short transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, Table, case, func, or_, select

from hub.domain.bookings import state as booking_state
from hub.domain.strikes import StrikeRules
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.profile_models import (
    AssetBooking,
    AssetDetail,
    AssetEvent,
    AssetFacts,
    AssetHolder,
    AssetTicket,
    BadgeRegistration,
    KitPiece,
    LateReturned,
    PersonDetail,
    PersonEvent,
    PersonFacts,
    PersonLoan,
    ReportedTicket,
)
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

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R")
E = TypeVar("E", AssetEvent, PersonEvent)
LATEST = 50  # custody events on an asset's or a person's page
# what a page's events say besides the ledger's own columns: the names of what they name
_NAMES = {"asset_name": assets.c.name, "person_name": people.c.name, "kiosk_name": kiosks.c.name}


@dataclass(frozen=True)
class AssetView:
    code: str
    name: str
    category: str
    status: str
    holder: str | None
    due: datetime | None


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


def _columns(table: Table, record: type[DataclassInstance], but: Collection[str] = ()) -> list[Any]:
    """The columns of ``table`` that ``record``'s fields name, save ``but``, in its order."""
    return [table.c[f.name] for f in fields(record) if f.name not in but]


def _read(conn: Connection, record: Callable[..., R], query: Select[Any]) -> list[R]:
    """Each row of ``query`` as a ``record`` (made from the row's column names)."""
    return [record(**row._mapping) for row in conn.execute(query)]


def _latest_events(conn: Connection, record: type[E], where: ColumnElement[bool]) -> list[E]:
    """The latest events of the ledger that match ``where``, newest first, as ``record``s:
    the ledger columns the record names, and the names of the asset, person and kiosk."""
    shown = [
        _NAMES[f.name].label(f.name) if f.name in _NAMES else ledger.c[f.name]
        for f in fields(record)
    ]
    q = select(*shown).select_from(named(ledger)).where(where)
    return _read(conn, record, q.order_by(ledger.c.at.desc()).limit(LATEST))


class Profiles(StoreBase):
    def asset(self, code: str) -> AssetView | None:
        """One asset with who holds it and until when: a summary of ``asset_detail``."""
        detail = self.asset_detail(code)
        if detail is None:
            return None
        row, held = detail.asset, detail.holder
        return AssetView(
            code=row.code,
            name=row.name,
            category=row.category,
            status=row.status,
            holder=held.name if held else None,
            due=held.due if held else None,
        )

    def asset_detail(self, code: str) -> AssetDetail | None:
        """An asset's page: details, holder, timeline, bookings and maintenance history."""
        with self.engine.connect() as conn:
            found = _read(
                conn, AssetFacts, select(*_columns(assets, AssetFacts)).where(assets.c.code == code)
            )
            if not found:
                return None
            asset = found[0]
            held = _read(
                conn,
                AssetHolder,
                select(holdings.c.person, people.c.name, holdings.c.due, holdings.c.since)
                .select_from(holdings.join(people, people.c.id == holdings.c.person))
                .where(holdings.c.asset == code),
            )
            timeline = _latest_events(conn, AssetEvent, ledger.c.asset == code)
            booked = conn.execute(
                select(*_columns(bookings, AssetBooking, but={"name", "state"}), people.c.name)
                .select_from(bookings.join(people, people.c.id == bookings.c.person))
                .where(bookings.c.asset == code)
                .order_by(bookings.c.starts.desc())
                .limit(20)
            ).all()
            pieces = _read(
                conn,
                KitPiece,
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
                .order_by(assets.c.code),
            )
            history = _read(
                conn,
                AssetTicket,
                select(
                    *_columns(tickets, AssetTicket, but={"person_name"}),
                    people.c.name.label("person_name"),
                )
                .select_from(tickets.outerjoin(people, people.c.id == tickets.c.person))
                .where(tickets.c.asset == code)
                .order_by(tickets.c.id.desc()),
            )
            own = own_fields(conn, (code, code)).get(code, {})
            kit = (
                conn.scalar(select(assets.c.name).where(assets.c.code == asset.kit))
                if asset.kit
                else None
            )
        holder = held[0] if held else None
        return AssetDetail(
            asset=asset,
            fields=own,
            holder=holder,
            timeline=timeline,
            bookings=[
                AssetBooking(
                    **b._mapping, state=booking_state(b.cancelled, b.picked_up, b.released_at)
                )
                for b in booked
            ],
            pieces=pieces,
            pieces_out=[
                p
                for p in pieces
                if p.holder is not None and (holder is None or holder.person != p.holder)
            ],
            kit_name=kit,
            tickets=history,
        )

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
    ) -> PersonDetail | None:
        """A person's page: details, badges, loans, history, late returns, and the strikes
        they earned since ``term_start`` as ``rules`` count them."""
        with self.engine.connect() as conn:
            # a PIN's hash is for kiosks only: the dashboard and the API learn whether one is set
            has_pin = people.c.pin_hash.is_not(None).label("has_pin")
            shown = select(*_columns(people, PersonFacts, but={"has_pin"}), has_pin)
            found = _read(conn, PersonFacts, shown.where(people.c.id == person))
            if not found:
                return None
            owned = _read(
                conn,
                BadgeRegistration,
                select(*_columns(badges, BadgeRegistration))
                .where(badges.c.person_id == person)
                .order_by(badges.c.uid, badges.c.id),
            )
            loans = _read(
                conn,
                PersonLoan,
                select(holdings.c.asset, assets.c.name, holdings.c.since, holdings.c.due)
                .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
                .where(holdings.c.person == person)
                .order_by(holdings.c.due),
            )
            history = _latest_events(conn, PersonEvent, ledger.c.person == person)
            late = _read(
                conn,
                LateReturned,
                select(
                    *_columns(late_returns, LateReturned, but={"asset_name"}),
                    assets.c.name.label("asset_name"),
                )
                .select_from(late_returns.outerjoin(assets, assets.c.code == late_returns.c.asset))
                .where(late_returns.c.person == person)
                .order_by(late_returns.c.returned.desc())
                .limit(50),
            )
            rules = rules or StrikeRules()
            earned = strikes_of(conn, [person], rules, term_start).get(person, [])
            reported = _read(
                conn,
                ReportedTicket,
                select(*_columns(tickets, ReportedTicket))
                .where(tickets.c.person == person)
                .order_by(tickets.c.id.desc())
                .limit(20),
            )
        return PersonDetail(
            person=found[0],
            badges=owned,
            loans=loans,
            history=history,
            late=late,
            strikes=len(earned),
            strike_list=earned[::-1],
            late_items=sum(e.items for e in earned),
            strikes_per=rules.per.value,
            tickets=reported,
        )

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
