"""Table definitions: the ledger (append-only truth) and the projections and registry around it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

from hub.domain.lifecycle import Status


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

    # On SQLite a datetime is text: one conversion each way instead of SQLAlchemy's two (the
    # ingest converts several per event), writing the text SQLAlchemy's SQLite DATETIME writes
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


metadata = MetaData()

people = Table(
    "people",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("staff", Boolean, nullable=False, default=False, server_default="0"),
    Column("groups", String(500)),  # semicolon-separated groups or courses (registry, CSV)
    Column("provider_groups", Text),  # the same, as the identity provider last gave them
    Column("blocked_until", UtcDateTime),  # a ban (by a manager or by strikes) ends then
    Column("blocked_reason", String(200)),
    Column("pin_hash", String(200)),  # staff: the door PIN's scrypt hash (wire.pins)
)

# Each registration of a card to a person, kept after it is revoked: a card enrolled to the
# wrong person is revoked and registered again, and both rows stay. A UID is registered to at
# most one person at a time (the partial unique index); its revoked rows are its history.
badges = Table(
    "badges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(20), nullable=False),
    Column("person_id", String(64), ForeignKey("people.id"), nullable=False, index=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("added_at", UtcDateTime),  # unknown for badges registered before this was kept
    Column("revoked_at", UtcDateTime),
    Index(
        "ux_badges_uid_active",
        "uid",
        unique=True,
        sqlite_where=text("revoked = 0"),
        postgresql_where=text("NOT revoked"),
    ),
    Index("ix_badges_uid", "uid"),
)

categories = Table(
    "categories",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("amount", Integer, nullable=False),  # hours or open days, by ``period``
    Column("period", String(16), nullable=False, default="hours", server_default="hours"),
    Column("requires", String(64)),  # a training a borrower must hold, if any
    Column("groups", String(500)),  # semicolon-separated access groups; none: open to everyone
    # preventive maintenance: an item is due for service after so many days or checkouts
    Column("service_days", Integer),
    Column("service_checkouts", Integer),
    # depreciation: straight_line or declining_balance over life_years down to salvage_pct
    Column("depreciation", String(20)),
    Column("life_years", Integer),
    Column("salvage_pct", Integer),
)

assets = Table(
    "assets",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("status", String(20), nullable=False, default=Status.AVAILABLE.value),
    Column("model", String(200)),
    Column("manufacturer", String(200)),
    Column("kit", String(64)),  # the kit (another asset's code) this one is a piece of
    Column("serial", String(100)),
    Column("home", String(100)),  # the cage it belongs to
    Column("location", String(100)),  # where it was last returned or seen
    Column("value", Numeric(12, 2)),
    Column("photo_url", String(500)),
    Column("notes", Text),
    Column("acquired", Date),
    Column("cost", Numeric(12, 2)),
    Column("supplier", String(200)),
    Column("disposed_reason", String(200)),
    Column("last_seen", UtcDateTime),
    Column("located_at", UtcDateTime),  # when it was last in hand at a kiosk with a place
    Column("last_service", UtcDateTime),
    Column("checkouts_since_service", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_assets_category", "category"),
    Index("ix_assets_status", "status"),
)

# an asset's own fields: columns another system's export had that this hub has not
asset_fields = Table(
    "asset_fields",
    metadata,
    Column("asset", String(64), ForeignKey("assets.code", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("value", String(1000), nullable=False),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("hmac_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("location", String(100)),  # the cage this kiosk stands in
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
    Index("ix_ledger_at", "at"),
    Index("ix_ledger_received", "received_at", "id"),
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

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200)),  # none: signs in through an identity provider
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # a disabled user cannot sign in and has no sessions (disabling ends them)
    Column("disabled", Boolean, nullable=False, default=False, server_default="0"),
    # a borrower's account is a person's; staff may have one too (to borrow themselves)
    Column("person_id", String(64), ForeignKey("people.id"), unique=True),
)

# The cages (rooms, shelves, sites) an asset's home, a kiosk and a stocktake may name: a managed
# list, so a typo does not make a new place. Assets and kiosks keep the name as text (renaming
# one rewrites them, hub.store.places).
locations = Table(
    "locations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# The cages a dashboard user is limited to; a user with no rows here sees every cage.
user_cages = Table(
    "user_cages",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), primary_key=True),
    Column("location", String(100), ForeignKey("locations.name"), primary_key=True),
)

# Dashboard sign-ins, shared by every hub process on the database: the browser's cookie holds a
# random token and only its SHA-256 is kept here, so a copy of the table signs nobody in. A row
# is gone when its session ends (logout, password change, the user disabled) or has expired.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("users.username"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),  # the token the session's forms carry
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),  # idle time counts from it
    Column("expires_at", UtcDateTime, nullable=False),  # the absolute end
    Column("flash", String(300)),  # a message for the next page this browser shows
)

# Failed sign-ins counted per account (``scope`` "user") and per client network ("client") in a
# window that starts at the first failure; ``locked_until`` is set when a count reaches its
# limit. One row per key, pruned once its window and lock are over, so the table holds only the
# accounts and networks that failed lately.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("scope", String(8), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False, index=True),
    Column("locked_until", UtcDateTime),
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
    # derived from the ledger by hub.domain.custody (an Anomaly), re-derived when a late event
    # changes the asset's history; null for rows made otherwise (badge enrolments, rejections)
    Column("kind", String(24)),
    Column("at", UtcDateTime),  # the event's own time
    Index("ix_conflicts_asset", "asset"),
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
    Column("picked_up", Boolean, nullable=False, default=False, server_default="0"),
    Column("released_at", UtcDateTime),  # a no-show released after the grace period
    Index("ix_bookings_asset_ends", "asset", "ends"),
)

trainings = Table(
    "trainings",
    metadata,
    Column("person", String(64), ForeignKey("people.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("expires", UtcDateTime),  # none: does not expire
)

late_returns = Table(
    "late_returns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person", String(64), nullable=False),
    Column("asset", String(64), nullable=False),
    Column("due", UtcDateTime, nullable=False),
    Column("returned", UtcDateTime, nullable=False),
    Column("minutes_late", Integer, nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    # the kiosk session it came back in: a kit and its pieces returned late are one strike
    Column("session", String(64)),
    Column("forgiven", Boolean, nullable=False, default=False, server_default="0"),
    Index("ix_late_returns_person_returned", "person", "returned"),
    Index("ix_late_returns_asset", "asset"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset", String(64), nullable=False, index=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # damaged, missing_part, preventive, manual
    Column("person", String(64)),  # who returned it so, if from a kiosk report
    Column("event_id", String(36)),  # the return that reported it
    Column("loan_event_id", String(36)),  # the checkout it ended
    Column("detail", String(500)),
    Column("closed_at", UtcDateTime),
    Column("outcome", String(16)),  # repaired, retired, no_fault
    Column("cost", Numeric(12, 2)),
    Column("note", String(500)),
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

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(120)),
    Column("detail", String(500)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),  # sha256 of the token
    Column("role", String(16), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False, server_default="0"),
    Column("last_used", UtcDateTime),
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

# Counters handed out under a row lock, so concurrent writers never draw the same number
# (the sequence of the hub's own ledger rows).
counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

# Per asset, the last point of its custody history (in event order) after which nothing was held
# and no return waited for its checkout (hub.domain.custody.Custody.rest). While new events come
# after it, custody is re-derived from the events after it only; one before it re-derives all.
custody_marks = Table(
    "custody_marks",
    metadata,
    Column("asset", String(64), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("kiosk", String(63), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),
    # whether a late return, a problem or an anomaly hangs on an event after it
    Column("pending", Boolean, nullable=False, default=True, server_default="1"),
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

# The loans the reports page counts (hub.store.loan_weeks), per category and week (Monday 00:00
# UTC): how many began and ended in it, and the sums of those times in milliseconds since the
# week began (integers, so a change is undone exactly). An asset's loans count in its current
# category. The custody fold keeps it in the transaction that adds the events.
loan_weeks = Table(
    "loan_weeks",
    metadata,
    Column("category", String(64), primary_key=True),
    Column("week", UtcDateTime, primary_key=True),
    Column("starts", BigInteger, nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("ends", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
)

# Accounts at an identity provider (an OpenID Connect issuer, an LDAP directory) linked to the
# dashboard user they sign in as: a provider's subject keeps its user even if the email or
# number it was first matched by changes.
external_identities = Table(
    "external_identities",
    metadata,
    Column("provider", String(200), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("username", String(64), ForeignKey("users.username"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sign_in", UtcDateTime, nullable=False),
)

# A borrower's calendar feed: calendar apps cannot sign in, so the feed's address carries a
# secret, kept here only as its sha256. One per user; making a new one ends the old.
feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# Reminders mailed to borrowers before a reservation's pickup window (hub.store.reminders):
# one row per reminder, its id naming the booking and the start it was raised against, so each
# is sent once, across restarts; a failed send stays pending (``attempts``) for the next pass.
reminders = Table(
    "reminders",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("booking", Integer, nullable=False),
    Column("person", String(64), nullable=False),
    Column("due", UtcDateTime, nullable=False),  # the pickup window's start
    Column("raised_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("dropped_at", UtcDateTime),  # no longer applies, nobody to send to, or given up
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", String(300)),
    Index("ix_reminders_pending", "sent_at", "dropped_at"),
)
