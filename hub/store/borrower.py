"""What the borrower portal reads: one person's loans, history, bookings and standing, and the
items anyone may look at to plan a loan (with when each is out or booked, never by whom).

Every read here is of one person given by the caller, who has already decided that the person
is the one signed in; nothing here takes a person from a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from hub.domain.bookings import state as booking_state
from hub.domain.lifecycle import Status
from hub.domain.strikes import StrikeRules
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.named_reads import held_by, named_events
from hub.store.schema import assets, bookings, holdings, ledger, people
from hub.store.strike_reads import strikes_of
from rules.renewal import Held

HISTORY = 50  # events shown in "my history"
_SHOWN = ("checkout", "return", "extend", "denied")


# what a borrower sees on the shelf: every item still in the cage's life, not retired or gone
_ON_SHELF = (Status.AVAILABLE.value, Status.OUT.value, Status.MAINTENANCE.value)


@dataclass(frozen=True)
class MyLoan:
    """Something the person holds, as renewing and the page need it."""

    held: Held
    since: datetime
    source: str  # the kiosk (or desk, or portal) that lent or last renewed it

    @property
    def code(self) -> str:
        return self.held.code


@dataclass(frozen=True)
class MyEvent:
    at: datetime
    type: str
    asset: str | None
    name: str | None
    source: str | None  # the kiosk's name, or its id
    reason: str | None
    detail: str | None
    due: datetime | None


@dataclass(frozen=True)
class MyBooking:
    id: int
    asset: str
    name: str
    starts: datetime
    ends: datetime
    state: str  # hub.domain.bookings.State: booked, picked up, no-show, cancelled


@dataclass(frozen=True)
class Standing:
    """Whether the person may borrow: a block and its end, and strikes with when each ends."""

    blocked_until: datetime | None
    blocked_reason: str | None
    strikes: tuple[tuple[datetime, int, datetime], ...]  # (earned, items, counts until)
    limit: int | None  # strikes that bring a block


@dataclass(frozen=True)
class Spoken:
    """When an item is taken: out until a due time, or booked for a window. ``mine`` says if
    it is the asking person's own loan or booking; whose it is otherwise is not said."""

    starts: datetime
    ends: datetime
    kind: str  # "out" or "booked"
    mine: bool


@dataclass(frozen=True)
class Shelf:
    """One item (a kit counts as one) someone might borrow."""

    code: str
    name: str
    category: str
    status: str  # available, out, maintenance
    pieces: tuple[str, ...]  # a kit's pieces' names
    taken: tuple[Spoken, ...]


class BorrowerReads(StoreBase):
    """The borrower portal's reads (its pages, its calendar feed and renewing from it)."""

    def my_loans(self, person: str, now: datetime) -> list[MyLoan]:
        """What ``person`` holds, soonest due first; each with its kit (a kit's own code for
        the kit) and when someone else's booking of it starts, as a kiosk's replica has it."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                held_by(
                    person,
                    assets.c.category,
                    assets.c.kit,
                    holdings.c.since,
                    holdings.c.renewals,
                    holdings.c.kiosk,
                )
            ).all()
            codes = [r.asset for r in rows]
            kits = _kits_among(conn, codes)
            booked = _others_booked(conn, codes, person, now)
        return [
            MyLoan(
                Held(
                    r.asset,
                    r.name,
                    r.category,
                    r.due,
                    r.renewals,
                    booked.get(r.asset),
                    r.asset if r.asset in kits else r.kit,
                ),
                r.since,
                r.kiosk,
            )
            for r in rows
        ]

    def my_history(self, person: str, limit: int = HISTORY) -> list[MyEvent]:
        """The person's custody events, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                named_events(ledger.c.person == person, ledger.c.type.in_(_SHOWN))
                .order_by(ledger.c.at.desc(), ledger.c.seq.desc())
                .limit(limit)
            ).all()
        return [
            MyEvent(r.at, r.type, r.asset, r.name, r.source or r.kiosk, r.reason, r.detail, r.due)
            for r in rows
        ]

    def my_bookings(self, person: str, now: datetime) -> list[MyBooking]:
        """The person's bookings that have not ended, soonest first (cancelled ones too, so
        they can see what became of them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    bookings.c.id,
                    bookings.c.asset,
                    assets.c.name,
                    bookings.c.starts,
                    bookings.c.ends,
                    bookings.c.cancelled,
                    bookings.c.picked_up,
                    bookings.c.released_at,
                )
                .select_from(bookings.join(assets, assets.c.code == bookings.c.asset))
                .where(bookings.c.person == person, bookings.c.ends > now)
                .order_by(bookings.c.starts, bookings.c.id)
            ).all()
        return [
            MyBooking(
                r.id,
                r.asset,
                r.name,
                r.starts,
                r.ends,
                booking_state(r.cancelled, r.picked_up, r.released_at),
            )
            for r in rows
        ]

    def my_standing(self, person: str, now: datetime, rules: StrikeRules) -> Standing | None:
        """A block still running and the strikes of the current term (None: no such person)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(people.c.blocked_until, people.c.blocked_reason).where(people.c.id == person)
            ).first()
            if row is None:
                return None
            earned = strikes_of(conn, [person], rules, now - rules.term).get(person, [])
        blocked = row.blocked_until is not None and row.blocked_until > now
        return Standing(
            row.blocked_until if blocked else None,
            row.blocked_reason if blocked else None,
            tuple((s.at, s.items, s.at + rules.term) for s in earned),
            rules.limit,
        )

    def shelf(
        self, categories: Sequence[str], person: str, now: datetime, until: datetime
    ) -> list[Shelf]:
        """The items of ``categories`` that are in circulation (a kit as one, its pieces named
        under it), by category and name, each with when it is out or booked before ``until``."""
        if not categories:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(assets.c.code, assets.c.name, assets.c.category, assets.c.status)
                .where(
                    assets.c.category.in_(sorted(set(categories))),
                    assets.c.kit.is_(None),
                    assets.c.status.in_(_ON_SHELF),
                )
                .order_by(assets.c.category, assets.c.name, assets.c.code)
            ).all()
            codes = [r.code for r in rows]
            pieces: dict[str, list[str]] = {}
            taken: dict[str, list[Spoken]] = {}
            for part in chunks(codes):
                for kit, name in conn.execute(
                    select(assets.c.kit, assets.c.name)
                    .where(assets.c.kit.in_(part))
                    .order_by(assets.c.name)
                ):
                    pieces.setdefault(kit, []).append(name)
                for h in conn.execute(
                    select(holdings.c.asset, holdings.c.person, holdings.c.due).where(
                        holdings.c.asset.in_(part)
                    )
                ):
                    taken.setdefault(h.asset, []).append(
                        Spoken(now, max(h.due, now), "out", h.person == person)
                    )
                for b in conn.execute(
                    select(bookings.c.asset, bookings.c.person, bookings.c.starts, bookings.c.ends)
                    .where(
                        bookings.c.asset.in_(part),
                        bookings.c.cancelled.is_(False),
                        bookings.c.picked_up.is_(False),
                        bookings.c.ends > now,
                        bookings.c.starts < until,
                    )
                    .order_by(bookings.c.starts)
                ):
                    taken.setdefault(b.asset, []).append(
                        Spoken(b.starts, b.ends, "booked", b.person == person)
                    )
        return [
            Shelf(
                r.code,
                r.name,
                r.category,
                r.status,
                tuple(pieces.get(r.code, ())),
                tuple(sorted(taken.get(r.code, ()), key=lambda s: s.starts)),
            )
            for r in rows
        ]

    def lendable_categories(self) -> list[str]:
        """Every category with an item in circulation (a kit's pieces go with their kit)."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(assets.c.category)
                    .where(
                        assets.c.kit.is_(None),
                        assets.c.status.in_(_ON_SHELF),
                    )
                    .distinct()
                    .order_by(assets.c.category)
                )
            )


def _kits_among(conn: Connection, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` are kits (other assets name them as their kit)."""
    found: set[str] = set()
    for part in chunks(sorted(set(codes))):
        found.update(conn.scalars(select(assets.c.kit).where(assets.c.kit.in_(part)).distinct()))
    return found


def _others_booked(
    conn: Connection, codes: Sequence[str], person: str, now: datetime
) -> dict[str, datetime]:
    """When the first booking by someone else of each item starts (bookings not ended and
    not cancelled: what a kiosk's replica carries)."""
    found: dict[str, datetime] = {}
    for part in chunks(sorted(set(codes))):
        for asset, starts in conn.execute(
            select(bookings.c.asset, bookings.c.starts)
            .where(
                and_(
                    bookings.c.asset.in_(part),
                    bookings.c.person != person,
                    bookings.c.cancelled.is_(False),
                    bookings.c.ends > now,
                )
            )
            .order_by(bookings.c.starts)
        ):
            found.setdefault(asset, starts)
    return found
