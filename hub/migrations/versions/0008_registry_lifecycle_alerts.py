"""registry lifecycle alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:48:15.564395
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("loan", sa.String(length=36), nullable=False),
        sa.Column("due", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("raised_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("email_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("webhook_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("mqtt_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_loan"), ["loan"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_person"), ["person"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_raised_at"), ["raised_at"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("last_used", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "late_returns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("due", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("returned", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("minutes_late", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("forgiven", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("late_returns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_late_returns_person_returned", ["person", "returned"], unique=False
        )

    op.create_table(
        "stocktakes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("started_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("closed_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("opened_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("loan_event_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("closed_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_asset"), ["asset"], unique=False)

    op.create_table(
        "stocktake_items",
        sa.Column("stocktake", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("seen_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["stocktake"],
            ["stocktakes.id"],
        ),
        sa.PrimaryKeyConstraint("stocktake", "asset"),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serial", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("home", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("location", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column("photo_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("acquired", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column("supplier", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("disposed_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("last_seen", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_service", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("checkouts_since_service", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_assets_category", ["category"], unique=False)
        batch_op.create_index("ix_assets_status", ["status"], unique=False)

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("picked_up", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("released_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("service_checkouts", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("depreciation", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("life_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("salvage_pct", sa.Integer(), nullable=True))

    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=100), nullable=True))

    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_at", ["at"], unique=False)
        batch_op.create_index("ix_ledger_received", ["received_at", "id"], unique=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("blocked_until", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("blocked_reason", sa.String(length=200), nullable=True))

    # the hub's own ledger rows carry on from any there are (none before this version)
    op.execute(
        "INSERT INTO counters (name, value) "
        "SELECT 'hub', COALESCE(MAX(seq), 0) FROM ledger WHERE kiosk = 'hub'"
    )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("blocked_reason")
        batch_op.drop_column("blocked_until")
        batch_op.drop_column("groups")

    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_received")
        batch_op.drop_index("ix_ledger_at")

    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("location")

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("salvage_pct")
        batch_op.drop_column("life_years")
        batch_op.drop_column("depreciation")
        batch_op.drop_column("service_checkouts")
        batch_op.drop_column("service_days")

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("released_at")
        batch_op.drop_column("picked_up")

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_status")
        batch_op.drop_index("ix_assets_category")
        batch_op.drop_column("checkouts_since_service")
        batch_op.drop_column("last_service")
        batch_op.drop_column("last_seen")
        batch_op.drop_column("disposed_reason")
        batch_op.drop_column("supplier")
        batch_op.drop_column("cost")
        batch_op.drop_column("acquired")
        batch_op.drop_column("notes")
        batch_op.drop_column("photo_url")
        batch_op.drop_column("value")
        batch_op.drop_column("location")
        batch_op.drop_column("home")
        batch_op.drop_column("serial")

    op.drop_table("stocktake_items")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_asset"))

    op.drop_table("tickets")
    op.drop_table("stocktakes")
    with op.batch_alter_table("late_returns", schema=None) as batch_op:
        batch_op.drop_index("ix_late_returns_person_returned")

    op.drop_table("late_returns")
    op.drop_table("counters")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_raised_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_person"))
        batch_op.drop_index(batch_op.f("ix_alerts_loan"))

    op.drop_table("alerts")
