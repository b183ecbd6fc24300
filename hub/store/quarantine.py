"""The quarantine: messages the hub could not ingest, kept for a person to inspect, within bounds.

A message on an events topic may be up to the broker's limit (16 MiB) and anyone with a broker
login can send many, so what is kept is bounded twice: each row keeps at most ``keep`` bytes of
its payload (with the whole payload's length and SHA-256, enough to recognise it), and each
bucket (a registered kiosk, or one bucket shared by unknown kiosks and other topics) holds at
most ``rows`` rows and ``stored`` payload bytes. What comes past that is not stored but counted
per bucket, so a flood still shows on the dashboard and in ``cagekeeper-hub quarantine``.
(Hub processes sharing PostgreSQL may each take a bucket's last place at the same moment: the
quota can be passed by that much, never by a flood.)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.errors import NotFound
from hub.store.base import StoreBase
from hub.store.schema import kiosks, quarantine, quarantine_digest, quarantine_overflow

# The bucket of messages from no registered kiosk: an unregistered id in the topic, or a topic
# that names no kiosk. One bucket for them all, so inventing kiosk ids buys no more room.
# (No kiosk id starts with "-".)
UNKNOWN_BUCKET = "-"


@dataclass(frozen=True)
class QuarantineLimits:
    """Bounds on what the quarantine keeps.

    64 KiB holds any real event many times over (a v1 event is a few hundred bytes) and enough
    of anything else to see what it is; 1,000 rows or 8 MiB per bucket is plenty to diagnose a
    broken or hostile device and keeps the worst case at 8 MiB per registered kiosk.
    """

    keep: int = 64 * 1024  # payload bytes kept per row
    rows: int = 1000  # rows per bucket
    stored: int = 8 * 1024 * 1024  # payload bytes kept per bucket


@dataclass(frozen=True)
class Quarantined:
    """A message kept as received (its first ``keep`` bytes), and how often the same bytes came
    again on the same topic."""

    id: int
    received_at: datetime  # first seen
    last_at: datetime  # last seen
    repeats: int  # copies after the first
    topic: str
    kiosk: str | None
    error: str
    payload: bytes  # the whole payload, or its first bytes when it was longer than the cap
    size: int  # bytes in the whole payload
    sha256: str  # of the whole payload

    @property
    def complete(self) -> bool:
        return len(self.payload) == self.size


@dataclass(frozen=True)
class Overflow:
    """Messages a full bucket did not keep."""

    bucket: str  # a kiosk id, or UNKNOWN_BUCKET
    dropped: int
    first_at: datetime
    last_at: datetime
    error: str  # the latest one's reason


class QuarantineStore(StoreBase):
    quarantine_limits = QuarantineLimits()

    def quarantine(
        self, topic: str, kiosk: str | None, error: str, payload: bytes, now: datetime
    ) -> None:
        """Keep a message that could not be ingested, for a person to inspect.

        The same message again (same topic and bytes: a device retrying) only counts up on the
        row it has, with when it was last seen and the latest reason. A new message whose bucket
        is full is counted in that bucket's overflow instead of stored.
        """
        topic, error = _printable(topic)[:300], _printable(error)[:500]
        digest = quarantine_digest(topic, payload)
        again = {"repeats": quarantine.c.repeats + 1, "last_at": now, "error": error}
        limits = self.quarantine_limits
        with self._tx() as conn:
            seen = conn.execute(
                update(quarantine).where(quarantine.c.digest == digest).values(**again)
            )
            if seen.rowcount:
                return
            bucket = _bucket(conn, kiosk)
            rows, stored = conn.execute(
                select(
                    func.count(), func.coalesce(func.sum(func.length(quarantine.c.payload)), 0)
                ).where(quarantine.c.bucket == bucket)
            ).one()
            kept = payload[: limits.keep]
            if rows >= limits.rows or stored + len(kept) > limits.stored:
                _overflowed(conn, bucket, error, now)
                return
            values = {
                "received_at": now,
                "topic": topic,
                "kiosk": kiosk,
                "error": error,
                "payload": kept,
                "digest": digest,
                "repeats": 0,
                "last_at": now,
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "bucket": bucket,
            }
            dialect = conn.dialect.name
            if dialect in ("sqlite", "postgresql"):
                # another hub process may have stored the same message meanwhile
                upsert = (sqlite_insert if dialect == "sqlite" else pg_insert)(quarantine)
                conn.execute(
                    upsert.values(**values).on_conflict_do_update(
                        index_elements=[quarantine.c.digest], set_=again
                    )
                )
            else:
                conn.execute(insert(quarantine).values(**values))

    def quarantined(self) -> list[Quarantined]:
        """The quarantine, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_QUARANTINE_COLUMNS).order_by(quarantine.c.id))
            return [Quarantined(**r._mapping) for r in rows]

    def quarantined_entry(self, entry: int) -> Quarantined:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_QUARANTINE_COLUMNS).where(quarantine.c.id == entry)).first()
        if row is None:
            raise NotFound(f"no quarantine entry {entry}")
        return Quarantined(**row._mapping)

    def quarantine_overflow(self) -> list[Overflow]:
        """Per bucket, the messages not kept because the bucket was full; latest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(quarantine_overflow).order_by(
                    quarantine_overflow.c.last_at.desc(), quarantine_overflow.c.bucket
                )
            )
            return [Overflow(**r._mapping) for r in rows]


def _bucket(conn: Connection, kiosk: str | None) -> str:
    """Whose quota a message counts against: the registered kiosk of its topic (the broker
    lets only that kiosk publish there), else the one shared bucket."""
    if kiosk is None:
        return UNKNOWN_BUCKET
    known = conn.scalar(select(kiosks.c.id).where(kiosks.c.id == kiosk))
    return kiosk if known is not None else UNKNOWN_BUCKET


def _overflowed(conn: Connection, bucket: str, error: str, now: datetime) -> None:
    more: dict[str, Any] = {
        "dropped": quarantine_overflow.c.dropped + 1,
        "last_at": now,
        "error": error,
    }
    first = {"bucket": bucket, "dropped": 1, "first_at": now, "last_at": now, "error": error}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        upsert = (sqlite_insert if dialect == "sqlite" else pg_insert)(quarantine_overflow)
        conn.execute(
            upsert.values(**first).on_conflict_do_update(
                index_elements=[quarantine_overflow.c.bucket], set_=more
            )
        )
        return
    done = conn.execute(
        update(quarantine_overflow).where(quarantine_overflow.c.bucket == bucket).values(**more)
    )
    if done.rowcount == 0:
        conn.execute(insert(quarantine_overflow).values(**first))


_QUARANTINE_COLUMNS = (
    quarantine.c.id,
    quarantine.c.received_at,
    quarantine.c.last_at,
    quarantine.c.repeats,
    quarantine.c.topic,
    quarantine.c.kiosk,
    quarantine.c.error,
    quarantine.c.payload,
    quarantine.c.size,
    quarantine.c.sha256,
)


def _printable(text: str) -> str:
    """Control characters but newline and tab escaped: a NUL (which PostgreSQL text cannot
    hold), or a terminal escape sequence for whoever lists the quarantine."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
