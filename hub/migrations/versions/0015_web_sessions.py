"""web sessions: dashboard sign-ins kept in the database, login throttling, disabled users

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-30 17:30:00.000000

Sessions move from a signed cookie (which stayed valid after logout until it expired) to rows
every hub process sees, so logout, a password change and disabling a user end them at once.
Failed sign-ins are counted here too, so every hub process on the database applies one limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default="0"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("flash", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username"])
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", hub.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_login_throttle_window_start", "login_throttle", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_window_start", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_web_sessions_username", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
