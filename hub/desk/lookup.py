"""What the desk reads from the store to decide: a person found by badge, id or name, what they
hold, the items scanned (with their holders, bookings and kit pieces) and the lending rules.

The items and people are built with the same conversions as the kiosks' replica
(hub.replica), so the desk decides from what a kiosk would know if it were perfectly current.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, or_, select

from hub.domain.access_groups import member_of
from hub.replica import asset_of, booking_of, policy_of
from hub.store import Store, named_reads
from hub.store.access_groups import category_groups
from hub.store.replica_rows import (
    ASSET_COLUMNS,
    BOOKING_COLUMNS,
    ReplicaAssetRow,
    ReplicaBookingRow,
)
from hub.store.schema import (
    assets,
    badges,
    bookings,
    categories,
    holdings,
    ledger,
    people,
    trainings,
)
from rules.lending import Booking, Item, Person
from wire import ReplicaPolicy
from wire.badges import is_uid

MAX_MATCHES = 20  # people listed for a name typed at the desk
_SEPARATORS = re.compile(r"[\s:-]")
_DECIMAL = re.compile(r"^\d{8,10}$")


@dataclass(frozen=True)
class Holding:
    """An item a person holds, as the desk lists it."""

    code: str
    name: str
    due: datetime


@dataclass(frozen=True)
class Found:
    """Who a search at the desk names: one person (``person``), several to choose from
    (``choices``), or nobody."""

    person: Person | None = None
    badge: str | None = None  # the badge UID tapped, when found by a badge
    choices: tuple[tuple[str, str], ...] = ()  # (id, name)


def badge_forms(typed: str) -> list[str]:
    """The badge UIDs a keyboard-wedge reader's text may stand for: a UID by the one rule
    (``wire.badges``), hex with or without separators ("04:A1:B2:C3"), or the 4-byte UID as
    a decimal number, which many readers type (either byte order, as readers differ)."""
    text = _SEPARATORS.sub("", typed.strip()).upper()
    forms = [text] if is_uid(text) else []
    if _DECIMAL.match(text) and int(text) < 2**32:
        raw = int(text).to_bytes(4, "big")
        forms += [raw.hex().upper(), raw[::-1].hex().upper()]
    return list(dict.fromkeys(forms))


def find_person(store: Store, typed: str, now: datetime) -> Found:
    """A badge (not revoked) first, then an exact person id, then names or ids containing
    the text; only active people."""
    text = typed.strip()
    if not text:
        return Found()
    with store.engine.connect() as conn:
        forms = badge_forms(text)
        if forms:
            row = conn.execute(
                select(badges.c.uid, badges.c.person_id).where(
                    badges.c.uid.in_(forms), badges.c.revoked.is_(False)
                )
            ).first()
            if row is not None:
                person = person_by_id(store, row.person_id, now)
                if person is not None:
                    return Found(person, row.uid)
        exact = conn.scalar(select(people.c.id).where(people.c.id == text, people.c.active))
        if exact is not None:
            return Found(person_by_id(store, exact, now))
        like = f"%{text.lower()}%"
        rows = conn.execute(
            select(people.c.id, people.c.name)
            .where(
                people.c.active,
                or_(func.lower(people.c.name).like(like), func.lower(people.c.id).like(like)),
            )
            .order_by(people.c.name, people.c.id)
            .limit(MAX_MATCHES + 1)
        ).all()
    if len(rows) == 1:
        return Found(person_by_id(store, rows[0].id, now))
    return Found(choices=tuple((r.id, r.name) for r in rows))


def person_by_id(store: Store, person_id: str, now: datetime) -> Person | None:
    """An active person as the lending rules see them (a ban that has ended is not one)."""
    with store.engine.connect() as conn:
        p = conn.execute(select(people).where(people.c.id == person_id, people.c.active)).first()
        if p is None:
            return None
        held = conn.execute(
            select(trainings.c.name, trainings.c.expires).where(trainings.c.person == person_id)
        ).all()
    blocked = p.blocked_until is not None and p.blocked_until > now
    return Person(
        p.id,
        p.name,
        bool(p.staff),
        tuple(sorted((t.name, t.expires) for t in held)),
        p.blocked_until if blocked else None,
        p.blocked_reason if blocked else None,
        groups=frozenset(member_of(p._mapping)),
    )


def loans_of(store: Store, person_id: str) -> list[Holding]:
    """What the person holds now, soonest due first."""
    with store.engine.connect() as conn:
        rows = conn.execute(named_reads.held_by(person_id)).all()
    return [Holding(r.asset, r.name, r.due) for r in rows]


def items(store: Store, codes: Sequence[str], now: datetime) -> dict[str, Item]:
    """The registered items among ``codes``, each with its holder, its bookings still to come
    and, for a kit, its pieces (themselves with holders and bookings)."""
    if not codes:
        return {}
    with store.engine.connect() as conn:
        wanted = set(codes)
        rows = conn.execute(
            select(*ASSET_COLUMNS).where(or_(assets.c.code.in_(wanted), assets.c.kit.in_(wanted)))
        ).all()
        found = [ReplicaAssetRow(*r) for r in rows]
        every = sorted({r.code for r in found})
        held = dict(
            conn.execute(
                select(holdings.c.asset, holdings.c.person).where(holdings.c.asset.in_(every))
            ).all()
        )
        booked: dict[str, list[Booking]] = {}
        for b in conn.execute(
            select(*BOOKING_COLUMNS)
            .where(
                bookings.c.asset.in_(every), bookings.c.cancelled.is_(False), bookings.c.ends > now
            )
            .order_by(bookings.c.starts)
        ):
            spec = booking_of(ReplicaBookingRow(*b))
            booked.setdefault(spec.asset, []).append(Booking(spec.person, spec.starts, spec.ends))
    bare = {r.code: _item(r, held, booked) for r in found}
    pieces: dict[str, list[Item]] = {}
    for r in sorted(found, key=lambda r: r.code):
        if r.kit is not None:
            pieces.setdefault(r.kit, []).append(bare[r.code])
    return {
        code: replace(bare[code], members=tuple(pieces.get(code, ())))
        for code in codes
        if code in bare
    }


def _item(row: ReplicaAssetRow, held: dict[str, str], booked: dict[str, list[Booking]]) -> Item:
    spec = asset_of(row)
    return Item(
        spec.code,
        spec.name,
        spec.category,
        spec.lendable,
        holder=held.get(spec.code),
        bookings=tuple(booked.get(spec.code, ())),
        in_maintenance=spec.in_maintenance,
    )


def policy(store: Store, rules: ReplicaPolicy) -> ReplicaPolicy:
    """The hub's lending rules with the loan periods, trainings and access groups set per
    category, as the replica gives them to kiosks."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(categories)).all()
        groups = category_groups(conn)
    return policy_of(
        {r.name: (r.period, r.amount) for r in rows},
        {r.name: r.requires for r in rows if r.requires},
        rules,
        groups,
    )


def names(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """People's names by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with store.engine.connect() as conn:
        return dict(
            conn.execute(select(people.c.id, people.c.name).where(people.c.id.in_(wanted))).all()
        )


def visit_events(store: Store, source: str, visit: str) -> list[named_reads.NamedEvent]:
    """The ledger's events of one desk visit, in the order they were made, with item names."""
    visit_of = named_reads.named_events(ledger.c.kiosk == source, ledger.c.session == visit)
    with store.engine.connect() as conn:
        rows = conn.execute(visit_of.order_by(ledger.c.seq)).all()
    return [named_reads.NamedEvent(*tuple(r)) for r in rows]
