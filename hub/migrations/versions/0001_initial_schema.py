"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:47:42.899007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "assets",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "categories",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("loan_hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("detected_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "holdings",
        sa.Column("asset", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("since", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kiosk", sa.String(length=63), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("asset"),
    )
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holdings_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_holdings_person"), ["person"], unique=False)

    op.create_table(
        "kiosk_status",
        sa.Column("kiosk", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kiosk"),
    )
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hmac_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kiosk", sa.String(length=63), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("badge", sa.String(length=20), nullable=True),
        sa.Column("person", sa.String(length=64), nullable=True),
        sa.Column("asset", sa.String(length=64), nullable=True),
        sa.Column("due", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("received_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kiosk", "seq", name="uq_ledger_kiosk_seq"),
    )
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_asset_at", ["asset", "at"], unique=False)
        batch_op.create_index("ix_ledger_person_at", ["person", "at"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("kiosk", sa.String(length=63), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "badges",
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("uid"),
    )
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_badges_person_id"), ["person_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_badges_person_id"))

    op.drop_table("badges")
    op.drop_table("users")
    op.drop_table("quarantine")
    op.drop_table("people")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_person_at")
        batch_op.drop_index("ix_ledger_asset_at")

    op.drop_table("ledger")
    op.drop_table("kiosks")
    op.drop_table("kiosk_status")
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holdings_person"))
        batch_op.drop_index(batch_op.f("ix_holdings_due"))

    op.drop_table("holdings")
    op.drop_table("conflicts")
    op.drop_table("categories")
    op.drop_table("assets")
