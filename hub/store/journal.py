"""What every operation writes beside its own rows, in the operation's transaction: the audit
entry saying who did it, the hub's own ledger rows, numbers from counters. Taking the
connection of the unit of work means an operation and its record commit together or not at
all."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hub.store.schema import audit_log, counters, ledger
from wire.ids import uuid7

# Ledger rows written by the hub itself (lifecycle, maintenance, moves) carry this kiosk id,
# which no real kiosk may take.
HUB = "hub"


def audit(
    conn: Connection,
    now: datetime,
    actor: str,
    action: str,
    target: str | None,
    detail: str | None = None,
) -> None:
    """An audit entry, in the transaction of what it records."""
    conn.execute(
        insert(audit_log).values(
            at=now,
            actor=actor[:80],
            action=action[:40],
            target=(target or "")[:120] or None,
            detail=(detail or "")[:500] or None,
        )
    )


@dataclass(frozen=True)
class Note:
    """An audit entry an operation hands to the unit of work that commits it (the desk's
    visit, written with the custody events it records)."""

    actor: str
    action: str
    target: str | None
    detail: str | None = None


def write_notes(conn: Connection, now: datetime, notes: Iterable[Note]) -> None:
    for note in notes:
        audit(conn, now, note.actor, note.action, note.target, note.detail)


def hub_event(
    conn: Connection,
    now: datetime,
    type_: str,
    asset: str | None,
    *,
    actor: str,
    reason: str | None = None,
    detail: str | None = None,
    person: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Append a hub-made event (an asset's lifecycle, a repair) to the ledger."""
    seq = next_number(conn, HUB)
    event_id = uuid7(int(now.timestamp() * 1000))
    payload = {
        "type": type_,
        "asset": asset,
        "person": person,
        "actor": actor,
        "reason": reason,
        "detail": detail,
        **(extra or {}),
    }
    conn.execute(
        insert(ledger).values(
            id=event_id,
            kiosk=HUB,
            seq=seq,
            type=type_,
            at=now,
            person=person,
            asset=asset,
            reason=reason,
            detail=(detail or "")[:200] or None,
            received_at=now,
            payload=json.dumps(payload, default=str, sort_keys=True),
        )
    )
    return event_id


def next_number(conn: Connection, name: str) -> int:
    """The next number of a counter; the row lock keeps concurrent writers apart (on
    PostgreSQL; SQLite has one writer at a time anyway)."""
    value = conn.scalar(
        update(counters)
        .where(counters.c.name == name)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    )
    if value is None:  # a database made before the counter: start after what is there
        start = conn.scalar(select(func.max(ledger.c.seq)).where(ledger.c.kiosk == name))
        value = (start or 0) + 1
        conn.execute(insert(counters).values(name=name, value=value))
    return int(value)


def acquired(
    conn: Connection, now: datetime, actor: str, code: str, details: dict[str, Any]
) -> None:
    """A new asset put in service: its lifecycle event in the ledger and its audit entry, with
    what is known of its purchase."""
    parts = [f"{k} {details[k]}" for k in ("acquired", "cost", "supplier") if details.get(k)]
    said = ", ".join(parts) or None
    hub_event(conn, now, "lifecycle", code, actor=actor, reason="in_service", detail=said)
    audit(conn, now, actor, "asset.add", code, said)
