"""How a batch of custody events is appended to the ledger: which are known already (a
duplicate, a sequence number reused), which name what the registry lacks, and the insert that
skips what another hub process committed meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.domain.custody import Kind
from hub.store.among import PerDialect, among
from hub.store.schema import ledger, people
from hub.store.writes import execute_many
from wire import AckResult, CustodyEvent, EventType

# events that move custody, re-derived in event order (hub.domain.custody)
CUSTODY_TYPES = tuple(EventType(kind.value) for kind in Kind)


@dataclass(frozen=True)
class Outcome:
    event: CustodyEvent
    result: AckResult
    error: str | None = None


def recorded(
    conn: Connection, events: Sequence[CustodyEvent]
) -> tuple[set[str], dict[tuple[str, int], str]]:
    """Which of these events' ids the ledger has, and which of their (kiosk, seq) numbers it
    has and under which id."""
    known: set[str] = set()
    taken: dict[tuple[str, int], str] = {}
    for i in range(0, len(events), _LOOKUP):
        part = events[i : i + _LOOKUP]
        ids = {e.id for e in part}
        seqs: dict[str, set[int]] = {}
        for e in part:
            seqs.setdefault(e.kiosk, set()).add(e.seq)
        # per kiosk, so the (kiosk, seq) index finds each number (a row-value IN list made
        # SQLite read every row of the kiosk's); one query for both questions
        found = or_(
            ledger.c.id.in_(sorted(ids)),
            *(
                and_(ledger.c.kiosk == kiosk, ledger.c.seq.in_(sorted(numbers)))
                for kiosk, numbers in seqs.items()
            ),
        )
        for row in conn.execute(select(ledger.c.kiosk, ledger.c.seq, ledger.c.id).where(found)):
            if row.id in ids:
                known.add(row.id)
            if row.seq in seqs.get(row.kiosk, ()):
                taken[(row.kiosk, row.seq)] = row.id
    return known, taken


# events per look-up in the ledger: each binds its id and its number
_LOOKUP = 250
_SQLITE_APPEND = sqlite_insert(ledger).on_conflict_do_nothing()
_IDS_RECORDED = PerDialect(lambda dialect: select(ledger.c.id).where(among(ledger.c.id, dialect)))
_PEOPLE_KNOWN = PerDialect(lambda dialect: select(people.c.id).where(among(people.c.id, dialect)))


def ids_recorded(conn: Connection, events: Sequence[CustodyEvent]) -> set[str]:
    """Which of these events' ids the ledger has (one statement, compiled once)."""
    return _ids_recorded_among(conn, sorted({e.id for e in events}))


def _ids_recorded_among(conn: Connection, ids: Sequence[str]) -> set[str]:
    return set(conn.scalars(_IDS_RECORDED.on(conn), {"keys": ids})) if ids else set()


def decided(ev: CustodyEvent, known: set[str], taken: dict[tuple[str, int], str]) -> Outcome | None:
    """A known id is a duplicate; a known number under another id is refused."""
    clash = taken.get((ev.kiosk, ev.seq))
    if ev.id in known or clash == ev.id:
        return Outcome(ev, AckResult.DUPLICATE)
    if clash is not None:
        return Outcome(ev, AckResult.REJECTED, f"sequence {ev.seq} already used by {clash}")
    return None


def append(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ledger rows, skipping any another hub process has committed meanwhile (same id
    or same kiosk number); returns the ids inserted. In id order, so two hubs inserting
    overlapping batches wait for each other, never deadlock."""
    rows = sorted(rows, key=lambda r: str(r["id"]))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # no RETURNING, so the rows go to the driver as they are: the transaction has held
        # SQLite's only write lock since it began, so none of these ids was added since the
        # look-up, and a row refused here clashed on its kiosk's number (it is not stored)
        ids = {str(r["id"]) for r in rows}
        if execute_many(conn, _SQLITE_APPEND, rows) == len(rows):
            return ids
        return _ids_recorded_among(conn, sorted(ids))
    if dialect != "postgresql":
        conn.execute(insert(ledger), rows)
        return {str(r["id"]) for r in rows}
    stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(ledger)
    return set(conn.scalars(stmt.on_conflict_do_nothing().returning(ledger.c.id), rows))


def unregistered(
    conn: Connection, events: Sequence[CustodyEvent], have_assets: dict[str, Any]
) -> dict[str, str]:
    """Custody events naming a person or an asset the registry does not have (``have_assets``:
    the registered ones among those named), with why: a phantom holding would follow them."""
    custody = [e for e in events if e.type in CUSTODY_TYPES]
    persons = sorted({e.person for e in custody if e.person and e.type is not EventType.RETURN})
    have_people = set(conn.scalars(_PEOPLE_KNOWN.on(conn), {"keys": persons})) if persons else set()
    found: dict[str, str] = {}
    for e in custody:
        if e.asset is not None and e.asset not in have_assets:
            found[e.id] = f"unknown asset {e.asset!r}: register it first"
        elif e.type is not EventType.RETURN and e.person not in have_people:
            found[e.id] = f"unknown person {e.person!r}: register them first"
    return found


def ledger_values(ev: CustodyEvent, raw: str, now: datetime) -> dict[str, Any]:
    return {
        "id": ev.id,
        "kiosk": ev.kiosk,
        "seq": ev.seq,
        "type": ev.type.value,
        "at": ev.at,
        "session": ev.session,
        "badge": ev.badge,
        "person": ev.person,
        "asset": ev.asset,
        "due": ev.due,
        "condition": ev.condition.value if ev.condition else None,
        "reason": ev.reason.value if ev.reason else None,
        "detail": ev.detail,
        "received_at": now,
        "payload": raw,
    }
