"""Tables of who may use the hub and what they did: dashboard users, their cages and sign-ins,
failed sign-ins, API tokens, the audit log; and the managed list of cages."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from hub.store.columns import UtcDateTime, metadata

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
