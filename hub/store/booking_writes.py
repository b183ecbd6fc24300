"""Making and cancelling bookings: the one path the dashboard, the API, the CLI and the
borrower portal all take. Each decision (hub.domain.bookings, and for a borrower's own
reservation hub.domain.reservations too) is made under the assets' locks, and the booking and
its audit entry commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import Connection, func, insert, or_, select, update

from hub.domain import bookings as booking_rules
from hub.domain import reservations as reserving
from hub.domain.access_groups import member_of
from hub.domain.lifecycle import LENDABLE
from hub.errors import BookingConflict, NotFound, RateLimited
from hub.store import journal
from hub.store.access_groups import category_groups
from hub.store.base import StoreBase
from hub.store.locks import lock
from hub.store.schema import assets, audit_log, bookings, categories, holdings, people, trainings

RESERVE = "reservation.create"  # a borrower's own, counted by the rate limit
CANCEL_OWN = "reservation.cancel"
_TRIES = 50  # items of a category tried for a free one


@dataclass(frozen=True)
class Ask:
    """A borrower's reservation: one item or kit (``asset``) or any item of ``category``."""

    person: str
    starts: datetime
    ends: datetime
    asset: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class ReservationListed:
    """One of a borrower's live reservations, as their page and the API list it."""

    id: int
    asset: str  # the item or kit reserved (a kit stands for its pieces)
    asset_name: str
    category: str
    starts: datetime
    ends: datetime
    picked_up: bool


@dataclass(frozen=True)
class Reserved:
    asset: str  # the item or kit reserved
    bookings: tuple[int, ...]  # the kit's pieces' bookings too, the first the asset's own


class BookingWrites(StoreBase):
    def add_booking(
        self,
        asset: str,
        person: str,
        starts: datetime,
        ends: datetime,
        now: datetime,
        tz: tzinfo = UTC,
        *,
        actor: str = "hub",
    ) -> int:
        """Reserve an asset for a person; refused (BookingConflict, its reasons with times in
        ``tz``) if it overlaps another booking, the item is out past its start, or the person
        lacks the training its category needs (hub.domain.bookings). Audited as ``actor``."""
        if ends <= starts:
            raise ValueError("a booking must end after it starts")
        with self._tx() as conn:
            # under the asset's lock: a kiosk's commit lending it takes turns with this
            if asset not in lock(conn, [asset]):
                raise NotFound(f"no asset {asset!r}")
            if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                raise NotFound(f"no person {person!r}")
            request = booking_rules.Request(asset, person, starts, ends)
            refused = booking_rules.refusals(request, self._booking_facts(conn, request), now)
            if refused:
                raise BookingConflict(
                    "; ".join(booking_rules.explain(request, r, tz) for r in refused)
                )
            number = self._insert_booking(conn, request, now)
            journal.audit(conn, now, actor, "booking.create", asset, f"#{number} {person}")
            return number

    def reserve(
        self,
        ask: Ask,
        now: datetime,
        tz: tzinfo,
        policy: reserving.Policy,
        *,
        actor: str,
    ) -> Reserved:
        """A borrower's own reservation of an item, a kit (with its pieces) or the first free
        item of a category: the managers' booking checks for every item it takes, the
        borrower's limits, and the creation rate (RateLimited). Audited as ``actor``."""
        if ask.ends <= ask.starts:
            raise ValueError("a reservation must end after it starts")
        with self._tx() as conn:
            made = conn.scalars(
                select(audit_log.c.at).where(
                    audit_log.c.actor == actor[:80],
                    audit_log.c.action == RESERVE,
                    audit_log.c.at > now - policy.rules.window,
                )
            ).all()
            wait = reserving.retry_after(list(made), policy.rules, now)
            if wait is not None:
                raise RateLimited(policy.rules.per_window, policy.rules.window, wait)
            who = self._borrower(conn, ask.person, now)
            groups = self._candidates(conn, ask)
            lock(conn, sorted({code for group in groups for code in group}))
            reasons: list[str] = []
            for group in groups:
                window = reserving.Window(ask.starts, ask.ends, len(group))
                own = reserving.refusals(window, who, policy, now)
                if own:  # the window and the borrower themselves: refused outright
                    raise BookingConflict("; ".join(reserving.explain(r, tz) for r in own))
                found = self._item_refusals(conn, group, ask, now, tz)
                if found:
                    reasons.extend(found)
                    continue
                numbers = tuple(
                    self._insert_booking(
                        conn, booking_rules.Request(code, ask.person, ask.starts, ask.ends), now
                    )
                    for code in group
                )
                detail = (
                    f"#{numbers[0]} {ask.person} {ask.starts:%Y-%m-%d %H:%M}"
                    f" to {ask.ends:%Y-%m-%d %H:%M} UTC"
                )
                journal.audit(conn, now, actor, RESERVE, group[0], detail)
                return Reserved(group[0], numbers)
        if ask.category is not None:
            raise BookingConflict(f"no {ask.category} item is free then: " + "; ".join(reasons[:5]))
        raise BookingConflict("; ".join(reasons))

    def cancel_booking(
        self,
        booking_id: int,
        now: datetime | None = None,
        *,
        actor: str = "hub",
        person: str | None = None,
    ) -> None:
        """Cancel a booking (and, for a kit's, its pieces' bookings made with it). With
        ``person``: only a live one of theirs (NotFound otherwise, as for a missing one), and
        it is audited as their own cancellation."""
        at = now or datetime.now(UTC)
        with self._tx() as conn:
            row = conn.execute(select(bookings).where(bookings.c.id == booking_id)).first()
            own = person is not None
            if (
                row is None
                or (own and row.person != person)
                or (own and (row.cancelled or row.picked_up or row.ends <= at))
            ):
                raise NotFound(f"no booking {booking_id}")
            pieces = select(assets.c.code).where(assets.c.kit == row.asset)
            conn.execute(
                update(bookings)
                .where(
                    or_(
                        bookings.c.id == booking_id,
                        (bookings.c.asset.in_(pieces))
                        & (bookings.c.person == row.person)
                        & (bookings.c.starts == row.starts)
                        & (bookings.c.ends == row.ends),
                    )
                )
                .values(cancelled=True)
            )
            action = CANCEL_OWN if own else "booking.cancel"
            journal.audit(conn, at, actor, action, row.asset, f"#{booking_id} {row.person}")

    def reservations_of(self, person: str, now: datetime) -> list[ReservationListed]:
        """A person's live reservations (not cancelled, not over), kits' pieces left out."""
        q = (
            select(
                bookings.c.id,
                bookings.c.asset,
                assets.c.name.label("asset_name"),
                assets.c.category,
                bookings.c.starts,
                bookings.c.ends,
                bookings.c.picked_up,
            )
            .select_from(bookings.join(assets, assets.c.code == bookings.c.asset))
            .where(
                bookings.c.person == person,
                bookings.c.cancelled.is_(False),
                bookings.c.ends > now,
                assets.c.kit.is_(None),
            )
            .order_by(bookings.c.starts, bookings.c.id)
        )
        with self.engine.connect() as conn:
            return [ReservationListed(*r) for r in conn.execute(q)]

    def reservable(self) -> tuple[list[str], list[tuple[str, str, str, bool]]]:
        """What a borrower may pick: categories, and items and kits as (code, name,
        category, is a kit), pieces of kits and items out of circulation left out."""
        piece = assets.alias("piece")
        is_kit = select(piece.c.kit).where(piece.c.kit.is_not(None))
        q = (
            select(assets.c.code, assets.c.name, assets.c.category, assets.c.code.in_(is_kit))
            .where(assets.c.kit.is_(None), assets.c.status.in_([s.value for s in LENDABLE]))
            .order_by(assets.c.category, assets.c.code)
        )
        with self.engine.connect() as conn:
            items = [(r[0], r[1], r[2], bool(r[3])) for r in conn.execute(q)]
        return sorted({c for _code, _name, c, _kit in items}), items

    # the parts ----------------------------------------------------------------------------

    def _insert_booking(self, conn: Connection, r: booking_rules.Request, now: datetime) -> int:
        result = conn.execute(
            insert(bookings).values(
                asset=r.asset, person=r.person, starts=r.starts, ends=r.ends, created_at=now
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def _booking_facts(
        self, conn: Connection, request: booking_rules.Request
    ) -> booking_rules.Facts:
        """What a booking is decided on: the item's other live bookings in the window, its
        current loan, the training and access groups its category needs, and the booker's
        trainings and groups."""
        others = conn.execute(
            select(bookings.c.person, bookings.c.starts, bookings.c.ends).where(
                bookings.c.asset == request.asset,
                bookings.c.cancelled.is_(False),
                bookings.c.starts < request.ends,
                bookings.c.ends > request.starts,
            )
        ).all()
        loan = conn.execute(
            select(holdings.c.person, holdings.c.due).where(holdings.c.asset == request.asset)
        ).first()
        requires = conn.scalar(
            select(categories.c.requires)
            .select_from(assets.join(categories, categories.c.name == assets.c.category))
            .where(assets.c.code == request.asset)
        )
        held = conn.execute(
            select(trainings.c.name, trainings.c.expires).where(
                trainings.c.person == request.person
            )
        ).all()
        category = conn.scalar(select(assets.c.category).where(assets.c.code == request.asset))
        booker = conn.execute(select(people).where(people.c.id == request.person)).first()
        return booking_rules.Facts(
            others=[booking_rules.Other(*o) for o in others],
            loan=booking_rules.CurrentLoan(*loan) if loan is not None else None,
            requires=requires,
            trainings={name: expires for name, expires in held},
            groups=category_groups(conn, [category]).get(category, []) if category else [],
            member_of=member_of(booker._mapping) if booker is not None else (),
        )

    def _borrower(self, conn: Connection, person: str, now: datetime) -> reserving.Borrower:
        row = conn.execute(
            select(people.c.blocked_until, people.c.blocked_reason, people.c.active).where(
                people.c.id == person
            )
        ).first()
        if row is None or not row.active:
            raise NotFound(f"no person {person!r}")
        overdue, held = conn.execute(
            select(
                func.count().filter(holdings.c.due <= now),
                func.count(),
            ).where(holdings.c.person == person)
        ).one()
        live = conn.scalar(
            select(func.count())
            .select_from(bookings.join(assets, assets.c.code == bookings.c.asset))
            .where(
                bookings.c.person == person,
                bookings.c.cancelled.is_(False),
                bookings.c.picked_up.is_(False),
                bookings.c.ends > now,
                assets.c.kit.is_(None),
            )
        )
        return reserving.Borrower(
            row.blocked_until, row.blocked_reason, int(overdue), int(held), int(live or 0)
        )

    def _candidates(self, conn: Connection, ask: Ask) -> list[list[str]]:
        """The item groups that could serve the ask, each an item or a kit and its pieces."""
        if ask.asset is not None:
            row = conn.execute(
                select(assets.c.code, assets.c.kit, assets.c.status).where(
                    assets.c.code == ask.asset
                )
            ).first()
            if row is None:
                raise NotFound(f"no item or kit {ask.asset!r}")
            if row.kit is not None:
                raise BookingConflict(f"{row.code} is part of the kit {row.kit}: reserve the kit")
            if row.status not in LENDABLE:
                raise BookingConflict(f"{row.code} is not lent out at present ({row.status})")
            codes = [row.code]
        else:
            codes = list(
                conn.scalars(
                    select(assets.c.code)
                    .where(
                        assets.c.category == ask.category,
                        assets.c.kit.is_(None),
                        assets.c.status.in_([s.value for s in LENDABLE]),
                    )
                    .order_by(assets.c.code)
                    .limit(_TRIES)
                )
            )
            if not codes:
                raise NotFound(f"no items in the category {ask.category!r}")
        pieces: dict[str, list[str]] = {}
        for piece, kit in conn.execute(
            select(assets.c.code, assets.c.kit)
            .where(assets.c.kit.in_(codes))
            .order_by(assets.c.code)
        ):
            pieces.setdefault(kit, []).append(piece)
        return [[code, *pieces.get(code, [])] for code in codes]

    def _item_refusals(
        self, conn: Connection, group: Sequence[str], ask: Ask, now: datetime, tz: tzinfo
    ) -> list[str]:
        """The managers' booking checks for each item of a group, as sentences."""
        found: list[str] = []
        for code in group:
            request = booking_rules.Request(code, ask.person, ask.starts, ask.ends)
            for r in booking_rules.refusals(request, self._booking_facts(conn, request), now):
                found.append(reserving.explain_item(request, r, tz))
        return found
