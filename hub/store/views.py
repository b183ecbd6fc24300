"""Reads shaped for the dashboard: each page's data in one short transaction, by the indexes."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, and_, func, or_, select

from hub.domain.lifecycle import Status
from hub.store.base import StoreBase
from hub.store.people import PersonRecord, person_records
from hub.store.registry import AssetRecord, asset_records
from hub.store.schema import (
    assets,
    holdings,
    kiosk_status,
    kiosks,
    ledger,
    people,
)

EXPORT_CHUNK = 1_000  # rows per read of a streamed export: memory stays flat at any size
R = TypeVar("R")


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
    reason: str | None = None  # why a kiosk refused (a ``denied`` event)
    kiosk_name: str | None = None


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
    acks_overdue: int = 0  # events the kiosk says the hub is late acknowledging
    acks_overdue_since: datetime | None = None  # when the oldest of them was recorded


@dataclass(frozen=True)
class ItemOut:
    """One loan on the list of what is out."""

    asset: str
    asset_name: str
    category: str
    person: str
    person_name: str
    since: datetime
    due: datetime
    kiosk: str


OutKey = tuple[datetime, str]  # (due, asset): where a page of the list starts or ends


@dataclass(frozen=True)
class OutPage:
    rows: list[ItemOut]
    earlier: bool  # there are loans before the first row
    later: bool  # there are loans after the last row


def out_query(due_before: datetime | None, homes: Collection[str] | None = None) -> Select[Any]:
    """What is out (an ItemOut a row), due before ``due_before``, of items homed in ``homes``."""
    q = select(
        holdings.c.asset,
        assets.c.name,
        assets.c.category,
        holdings.c.person,
        people.c.name,
        holdings.c.since,
        holdings.c.due,
        holdings.c.kiosk,
    ).select_from(
        holdings.join(assets, assets.c.code == holdings.c.asset).join(
            people, people.c.id == holdings.c.person
        )
    )
    if homes is not None:  # a manager limited to some cages
        q = q.where(assets.c.home.in_(sorted(homes)))
    return q if due_before is None else q.where(holdings.c.due < due_before)


def _past(key: OutKey) -> Any:
    """Loans after ``key`` in the list's order (due, then asset), by the due index."""
    due, asset = key
    return and_(
        holdings.c.due >= due,
        or_(holdings.c.due > due, holdings.c.asset > asset),
    )


def _short_of(key: OutKey) -> Any:
    due, asset = key
    return and_(
        holdings.c.due <= due,
        or_(holdings.c.due < due, holdings.c.asset < asset),
    )


def named(events: Any) -> Any:
    """The ledger with the names of the asset, the person and the kiosk each event names."""
    return (
        events.outerjoin(assets, assets.c.code == events.c.asset)
        .outerjoin(people, people.c.id == events.c.person)
        .outerjoin(kiosks, kiosks.c.id == events.c.kiosk)
    )


def _acks_overdue(status: dict[str, Any]) -> tuple[int, datetime | None]:
    """A kiosk's warning that its events go unacknowledged, from its status (newer kiosks)."""
    count = status.get("acks_overdue")
    if not isinstance(count, int) or count <= 0:
        return 0, None
    try:
        since = datetime.fromisoformat(str(status.get("acks_overdue_since")))
    except ValueError:
        since = None
    return count, since


class ViewStore(StoreBase):
    def out_page(
        self,
        limit: int,
        after: OutKey | None = None,
        before: OutKey | None = None,
        due_before: datetime | None = None,
        homes: Collection[str] | None = None,
    ) -> OutPage:
        """A page of what is out, soonest due first: the ``limit`` loans after ``after``, or
        the ``limit`` before ``before``, or the first ones. Keyset paging, so a page deep in
        the list costs what the first does. ``homes``: only items whose home is one of these."""
        q = out_query(due_before, homes)
        with self.engine.connect() as conn:
            if before is not None:
                found = conn.execute(
                    q.where(_short_of(before))
                    .order_by(holdings.c.due.desc(), holdings.c.asset.desc())
                    .limit(limit + 1)
                ).all()
                rows = [ItemOut(*r) for r in reversed(found[:limit])]
                return OutPage(rows, earlier=len(found) > limit, later=True)
            if after is not None:
                q = q.where(_past(after))
            found = conn.execute(
                q.order_by(holdings.c.due, holdings.c.asset).limit(limit + 1)
            ).all()
        return OutPage(
            [ItemOut(*r) for r in found[:limit]],
            earlier=after is not None,
            later=len(found) > limit,
        )

    def out_rows(
        self, due_before: datetime | None = None, homes: Collection[str] | None = None
    ) -> Iterator[ItemOut]:
        """Everything out, soonest due first, read a chunk at a time (for exports)."""
        key: OutKey | None = None
        while True:
            page = self.out_page(EXPORT_CHUNK, after=key, due_before=due_before, homes=homes)
            yield from page.rows
            if not page.later:
                return
            key = (page.rows[-1].due, page.rows[-1].asset)

    def asset_export(self) -> Iterator[list[AssetRecord]]:
        """Every asset with the columns a spreadsheet round trip carries, in code order, a
        chunk at a time."""
        return self._chunks(asset_records, lambda row: row.code)

    def person_export(self) -> Iterator[list[PersonRecord]]:
        """Every person with their badges (not revoked), by id, a chunk at a time."""
        return self._chunks(person_records, lambda row: row.id)

    def _chunks(
        self, read: Callable[[Connection, str | None, int], list[R]], key: Callable[[R], str]
    ) -> Iterator[list[R]]:
        """All that ``read`` reads, a chunk at a time, each chunk in a transaction of its own
        and starting after the last ``key`` of the one before."""
        last: str | None = None
        while True:
            with self.engine.connect() as conn:
                rows = read(conn, last, EXPORT_CHUNK)
            if rows:
                yield rows
            if len(rows) < EXPORT_CHUNK:
                return
            last = key(rows[-1])

    def counts(
        self, now: datetime, end_of_day: datetime, homes: Collection[str] | None = None
    ) -> Counts:
        """The overview's tiles; ``homes``: counting only items whose home is one of these."""
        mine = [] if homes is None else [assets.c.home.in_(sorted(homes))]
        # the whole cage: the loans alone, by the due index; else joined to their items' homes
        loans: Any = (
            holdings if homes is None else holdings.join(assets, assets.c.code == holdings.c.asset)
        )

        def count(source: Any, *where: Any) -> int:
            return int(conn.scalar(select(func.count()).select_from(source).where(*where)) or 0)

        with self.engine.connect() as conn:
            out = count(loans, *mine)
            overdue = count(loans, holdings.c.due < now, *mine)
            today = count(loans, holdings.c.due >= now, holdings.c.due < end_of_day, *mine)
            total = count(assets, *mine)
            held_back = count(assets, assets.c.status == Status.MAINTENANCE.value, *mine)
        return Counts(out, overdue, today, total, held_back)

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
            ledger.c.reason,
            kiosks.c.name,
        ).select_from(
            ledger.outerjoin(assets, assets.c.code == ledger.c.asset)
            .outerjoin(people, people.c.id == ledger.c.person)
            .outerjoin(kiosks, kiosks.c.id == ledger.c.kiosk)
        )
        if after is not None:
            q = q.where(ledger.c.received_at >= after).order_by(ledger.c.received_at, ledger.c.id)
        else:
            q = q.order_by(ledger.c.received_at.desc(), ledger.c.id.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(q.limit(limit)).all()
        return [FeedEntry(r[1], r[0], *r[2:]) for r in rows]

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
                        *_acks_overdue(status if state == "online" else {}),
                    )
                )
        return out
