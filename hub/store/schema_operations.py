"""Tables of the hub's running: messages that could not be ingested, kiosks' status and clocks,
alerts, stocktakes, and the change log the kiosks' replica is published from."""

from __future__ import annotations

import hashlib

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from hub.store.columns import UtcDateTime, metadata

# Messages that could not be ingested, kept as received up to a cap (hub.store.quarantine): a
# longer payload keeps its first bytes, with the whole one's ``size`` and ``sha256``. A device
# retrying the same message (same topic, same bytes) adds to ``repeats`` and moves ``last_at``
# on the one row it has. Rows count against a quota per ``bucket``: the registered kiosk of the
# topic, or one shared bucket for unknown kiosks and other topics.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),  # first seen
    Column("topic", String(300), nullable=False),
    Column("kiosk", String(63)),
    Column("error", String(500), nullable=False),  # the latest reason
    Column("payload", LargeBinary, nullable=False),  # the payload, or its first bytes
    Column("digest", String(64), nullable=False),  # quarantine_digest(topic, whole payload)
    Column("repeats", Integer, nullable=False, default=0, server_default="0"),
    Column("last_at", UtcDateTime, nullable=False),
    Column("size", Integer, nullable=False),  # bytes in the whole payload
    Column("sha256", String(64), nullable=False),  # of the whole payload
    Column("bucket", String(63), nullable=False),
    UniqueConstraint("digest", name="uq_quarantine_digest"),
    Index("ix_quarantine_bucket", "bucket"),
)

# Messages a full quarantine bucket did not keep: counted, so a flood is seen but costs no space.
quarantine_overflow = Table(
    "quarantine_overflow",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("dropped", Integer, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Column("error", String(500), nullable=False),  # the latest one's reason
)


def quarantine_digest(topic: str, payload: bytes) -> str:
    """What makes two quarantined messages the same one (an MQTT topic holds no NUL)."""
    return hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()


kiosk_status = Table(
    "kiosk_status",
    metadata,
    Column("kiosk", String(63), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
)

# Each kiosk's clock as last measured from a live status: its ``at`` minus the hub's time of
# receipt (negative: the kiosk is behind), and whether the kiosk said NTP had synced it.
kiosk_clock = Table(
    "kiosk_clock",
    metadata,
    Column("kiosk", String(63), primary_key=True),
    Column("offset_ms", BigInteger, nullable=False),
    Column("synced", Boolean),  # null: the kiosk cannot tell
    Column("measured_at", UtcDateTime, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("asset", String(64), nullable=False, index=True),
    Column("person", String(64), nullable=False, index=True),
    Column("loan", String(36), nullable=False, index=True),  # the holding's checkout event
    Column("due", UtcDateTime, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False, index=True),
    Column("withdrawn_at", UtcDateTime),
    Column("text", String(300), nullable=False),
    Column("email_at", UtcDateTime),
    Column("webhook_at", UtcDateTime),
    Column("mqtt_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", String(300)),
)

# A stocktake at a location counts what staff scan there (``seen`` events) from its start.
stocktakes = Table(
    "stocktakes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("location", String(100), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("started_by", String(120), nullable=False),
    Column("closed_at", UtcDateTime),
)

# What a stocktake counted: each item scanned there while it was open, and at its close the
# items expected there and not seen (``seen_at`` null), so a closed count never changes.
stocktake_items = Table(
    "stocktake_items",
    metadata,
    Column("stocktake", Integer, ForeignKey("stocktakes.id"), primary_key=True),
    Column("asset", String(64), primary_key=True),
    Column("seen_at", UtcDateTime),
)

# What changed among the rows the kiosks' replica is made of: triggers (migration 0013) add one
# row per changed key, whoever writes (ingest, CLI, dashboard, sweeper, another hub process), and
# the replica publisher (hub.replica_feed) re-reads only those keys. ``kind``: person, asset,
# holding, booking or policy. On PostgreSQL ``xid`` is the writing transaction's id, which the
# publisher reads in (hub.store.replica_changes); SQLite has one writer at a time and uses ``id``.
replica_changes = Table(
    "replica_changes",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("kind", String(8), nullable=False),
    Column("key", String(64), nullable=False),
    Column("xid", BigInteger),
    Index("ix_replica_changes_xid", "xid", sqlite_where=text("xid IS NOT NULL")),
)

# Change rows below ``pruned_below`` (an id on SQLite, a transaction id on PostgreSQL) are gone:
# a publisher whose position is behind it rebuilds its replica from the tables.
replica_horizon = Table(
    "replica_horizon",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pruned_below", BigInteger, nullable=False),
)
