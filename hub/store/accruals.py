"""What a batch of events adds up to on its assets, beyond custody, set-based.

Where an item was last seen and where it stands, checkouts counted towards its service,
bookings picked up, items counted by an open stocktake: each of these only ever accumulates,
so the result is the same in any order of arrival, and a batch is applied at once: its rows
read with a few queries, the new values worked out here, written with one executemany each.

The assets' rows are the ones the caller locked (hub.store.locks) at the start of the
transaction, so their values here are the stored ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from hub.store import schema as t
from hub.store.among import PerDialect, among
from hub.store.writes import Writes
from rules.pickup import EARLY_PICKUP as EARLY_PICKUP  # the kiosk offers pickups over it too
from wire import CustodyEvent, EventType

_IN_HAND = (EventType.RETURN, EventType.SEEN)

_ASSET_UPDATE = (
    update(t.assets)
    .where(t.assets.c.code == bindparam("key"))
    .values(
        last_seen=bindparam("last_seen"),
        location=bindparam("location"),
        located_at=bindparam("located_at"),
        checkouts_since_service=bindparam("checkouts"),
    )
)
_PICKED_UP = update(t.bookings).where(t.bookings.c.id == bindparam("key")).values(picked_up=True)
stocktake_items = t.stocktake_items
_COUNTED = insert(stocktake_items)
_RECOUNTED = (
    update(stocktake_items)
    .where(
        stocktake_items.c.stocktake == bindparam("key"),
        stocktake_items.c.asset == bindparam("item"),
    )
    .values(seen_at=bindparam("seen_at"))
)
# reads, each with its list as one parameter (hub.store.among)
_PLACES = PerDialect(
    lambda dialect: select(t.kiosks.c.id, t.kiosks.c.location).where(
        among(t.kiosks.c.id, dialect), t.kiosks.c.location.is_not(None)
    )
)
_BOOKINGS = PerDialect(
    lambda dialect: select(t.bookings).where(
        among(t.bookings.c.asset, dialect),
        t.bookings.c.ends > bindparam("earliest"),
        t.bookings.c.starts <= bindparam("latest"),
    )
)
_OPEN_COUNTS = PerDialect(
    lambda dialect: select(
        t.stocktakes.c.id, t.stocktakes.c.location, t.stocktakes.c.started_at
    ).where(among(t.stocktakes.c.location, dialect), t.stocktakes.c.closed_at.is_(None))
)
_COUNTED_BEFORE = PerDialect(
    lambda dialect: select(stocktake_items).where(
        among(stocktake_items.c.stocktake, dialect, "numbers"),
        among(stocktake_items.c.asset, dialect),
    )
)


@dataclass
class Accrued:
    """The assets' columns after the batch (only those that changed), the bookings found
    picked up, and the released bookings whose pickup arrived late, with the event that
    picked each up."""

    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    picked_up: list[int] = field(default_factory=list)
    late_pickups: list[tuple[int, CustodyEvent]] = field(default_factory=list)
    counted: list[tuple[int, str, datetime]] = field(default_factory=list)
    recounted: list[tuple[int, str, datetime]] = field(default_factory=list)  # seen earlier


def places(conn: Connection, events: Sequence[CustodyEvent]) -> dict[str, str]:
    """Where the kiosks that had items in hand stand (those that stand somewhere)."""
    in_hand = sorted({e.kiosk for e in events if e.type in _IN_HAND})
    if not in_hand:
        return {}
    return {kiosk: place for kiosk, place in conn.execute(_PLACES.on(conn), {"keys": in_hand})}


def accrue(
    conn: Connection,
    events: Sequence[CustodyEvent],
    locked: dict[str, Any],
    placed: dict[str, str],
) -> Accrued:
    """Work out what ``events`` (in event order) add to their assets; reads bookings and
    open stocktakes, writes nothing."""
    out = Accrued()
    rows: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        if code not in rows:
            r = locked[code]
            rows[code] = {
                "last_seen": r.last_seen,
                "location": r.location,
                "located_at": r.located_at,
                "checkouts": r.checkouts_since_service,
            }
        return rows[code]

    lent = [e for e in events if e.type is EventType.CHECKOUT and e.asset in locked]
    for ev in events:
        if ev.asset is None or ev.asset not in locked:
            continue
        if ev.type in _IN_HAND:
            r = row(ev.asset)
            if r["last_seen"] is None or r["last_seen"] <= ev.at:
                r["last_seen"] = ev.at
            place = placed.get(ev.kiosk)
            # where it is: the place of the latest kiosk that has one, whichever arrives first
            if place and (r["located_at"] is None or r["located_at"] <= ev.at):
                r["location"], r["located_at"] = place, ev.at
        elif ev.type is EventType.CHECKOUT:
            serviced = locked[ev.asset].last_service
            if serviced is None or serviced < ev.at:
                row(ev.asset)["checkouts"] += 1
    for code, values in rows.items():
        r = locked[code]
        before = (r.last_seen, r.location, r.located_at, r.checkouts_since_service)
        if tuple(values.values()) != before:
            out.assets[code] = values
    _pickups(conn, lent, out)
    _counts(conn, [e for e in events if e.type is EventType.SEEN], placed, out)
    return out


def write(conn: Connection, accrued: Accrued) -> None:
    out = Writes()
    for code, values in accrued.assets.items():
        out.add(_ASSET_UPDATE, key=code, **values)
    for booking in accrued.picked_up:
        out.add(_PICKED_UP, key=booking)
    for stocktake, asset, at in accrued.counted:
        out.add(_COUNTED, stocktake=stocktake, asset=asset, seen_at=at)
    for stocktake, asset, at in accrued.recounted:
        out.add(_RECOUNTED, key=stocktake, item=asset, seen_at=at)
    out.flush(conn)


def _pickups(conn: Connection, lent: Sequence[CustodyEvent], out: Accrued) -> None:
    """Each checkout picks up its borrower's booking of the item, if one covers the time;
    a booking released as a no-show meanwhile (the kiosk that lent it was offline) is
    listed for the caller to restore."""
    if not lent:
        return
    earliest = min(e.at for e in lent)
    latest = max(e.at for e in lent) + EARLY_PICKUP
    candidates: dict[str, list[Any]] = {}
    codes = sorted({e.asset for e in lent if e.asset is not None})
    bounds = {"keys": codes, "earliest": earliest, "latest": latest}
    for b in conn.execute(_BOOKINGS.on(conn), bounds):
        candidates.setdefault(b.asset, []).append(b)
    picked: set[int] = set()
    restored: set[int] = set()
    for ev in lent:
        for b in candidates.get(ev.asset or "", ()):
            if not _covers(b, ev, EARLY_PICKUP):
                continue
            if not b.cancelled and not b.picked_up and b.id not in picked:
                picked.add(b.id)
                out.picked_up.append(b.id)
            if b.released_at is not None and b.id not in restored:
                restored.add(b.id)
                out.late_pickups.append((b.id, ev))


def _covers(booking: Any, ev: CustodyEvent, early: timedelta) -> bool:
    return bool(
        booking.person == ev.person and booking.starts <= ev.at + early and booking.ends > ev.at
    )


def _counts(
    conn: Connection, seen: Sequence[CustodyEvent], placed: dict[str, str], out: Accrued
) -> None:
    """A staff scan at a kiosk standing somewhere counts for the stocktakes open there, as
    seen at the earliest such scan, whatever order they arrive in."""
    where = sorted({placed[e.kiosk] for e in seen if e.kiosk in placed})
    if not where:
        return
    open_counts: dict[str, list[Any]] = {}
    for s in conn.execute(_OPEN_COUNTS.on(conn), {"keys": where}):
        open_counts.setdefault(s.location, []).append(s)
    numbers = sorted(s.id for ss in open_counts.values() for s in ss)
    if not numbers:
        return
    assets = sorted({e.asset for e in seen if e.asset is not None})
    have = {
        (int(r.stocktake), str(r.asset)): r.seen_at
        for r in conn.execute(_COUNTED_BEFORE.on(conn), {"keys": assets, "numbers": numbers})
    }
    first: dict[tuple[int, str], datetime] = {}
    for ev in seen:
        place = placed.get(ev.kiosk)
        if place is None or ev.asset is None:
            continue
        for s in open_counts.get(place, ()):
            key = (s.id, ev.asset)
            if s.started_at <= ev.at and (key not in first or ev.at < first[key]):
                first[key] = ev.at
    for key, at in first.items():
        if key not in have:
            out.counted.append((*key, at))
            continue
        earlier = have[key]
        if earlier is None or at < earlier:
            out.recounted.append((*key, at))
