"""Table definitions: the ledger (append-only truth) and the projections and registry around it.
The tables of access (hub.store.schema_access) and of the hub's running
(hub.store.schema_operations) are defined beside it and exported from here too."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from hub.domain.lifecycle import Status
from hub.store.columns import StatusText
from hub.store.columns import UtcDateTime as UtcDateTime
from hub.store.columns import metadata as metadata
from hub.store.schema_access import api_tokens as api_tokens
from hub.store.schema_access import audit_log as audit_log
from hub.store.schema_access import locations as locations
from hub.store.schema_access import login_throttle as login_throttle
from hub.store.schema_access import user_cages as user_cages
from hub.store.schema_access import users as users
from hub.store.schema_access import web_sessions as web_sessions
from hub.store.schema_operations import alerts as alerts
from hub.store.schema_operations import kiosk_clock as kiosk_clock
from hub.store.schema_operations import kiosk_status as kiosk_status
from hub.store.schema_operations import quarantine as quarantine
from hub.store.schema_operations import quarantine_digest as quarantine_digest
from hub.store.schema_operations import quarantine_overflow as quarantine_overflow
from hub.store.schema_operations import replica_changes as replica_changes
from hub.store.schema_operations import replica_horizon as replica_horizon
from hub.store.schema_operations import stocktake_items as stocktake_items
from hub.store.schema_operations import stocktakes as stocktakes

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
    Column("status", StatusText, nullable=False, default=Status.AVAILABLE.value),
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
