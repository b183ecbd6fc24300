"""Table definitions: the ledger (append-only truth) and the projections and registry around it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite has no time zones of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

people = Table(
    "people",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("staff", Boolean, nullable=False, default=False, server_default="0"),
)

badges = Table(
    "badges",
    metadata,
    Column("uid", String(20), primary_key=True),
    Column("person_id", String(64), ForeignKey("people.id"), nullable=False, index=True),
    Column("revoked", Boolean, nullable=False, default=False),
)

categories = Table(
    "categories",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("amount", Integer, nullable=False),  # hours or open days, by ``period``
    Column("period", String(16), nullable=False, default="hours", server_default="hours"),
    Column("requires", String(64)),  # a training a borrower must hold, if any
)

assets = Table(
    "assets",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("status", String(20), nullable=False, default="available"),
    Column("kit", String(64)),  # the kit (another asset's code) this one is a piece of
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("hmac_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kiosk", String(63), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("session", String(64)),
    Column("badge", String(20)),
    Column("person", String(64)),
    Column("asset", String(64)),
    Column("due", UtcDateTime),
    Column("condition", String(16)),
    Column("reason", String(32)),
    Column("detail", String(200)),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("kiosk", "seq", name="uq_ledger_kiosk_seq"),
    Index("ix_ledger_asset_at", "asset", "at"),
    Index("ix_ledger_person_at", "person", "at"),
)

holdings = Table(
    "holdings",
    metadata,
    Column("asset", String(64), primary_key=True),
    Column("person", String(64), nullable=False, index=True),
    Column("since", UtcDateTime, nullable=False),
    Column("due", UtcDateTime, nullable=False, index=True),
    Column("kiosk", String(63), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("renewals", Integer, nullable=False, default=0, server_default="0"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("topic", String(300), nullable=False),
    Column("kiosk", String(63)),
    Column("error", String(500), nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

kiosk_status = Table(
    "kiosk_status",
    metadata,
    Column("kiosk", String(63), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("detected_at", UtcDateTime, nullable=False),
    Column("asset", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset", String(64), ForeignKey("assets.code"), nullable=False),
    Column("person", String(64), ForeignKey("people.id"), nullable=False),
    Column("starts", UtcDateTime, nullable=False),
    Column("ends", UtcDateTime, nullable=False),
    Column("cancelled", Boolean, nullable=False, default=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_bookings_asset_ends", "asset", "ends"),
)

trainings = Table(
    "trainings",
    metadata,
    Column("person", String(64), ForeignKey("people.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("expires", UtcDateTime),  # none: does not expire
)
