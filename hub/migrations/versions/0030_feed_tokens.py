"""feed tokens: each borrower's secret calendar feed address, kept as a hash

Revision ID: 0030
Revises: 0026
Create Date: 2026-11-30 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0030"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username"),
        sa.UniqueConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("feed_tokens")
