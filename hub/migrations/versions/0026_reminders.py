"""reminders: pickup reminders mailed to borrowers, each once

Revision ID: 0026
Revises: 0028
Create Date: 2026-11-30 23:10:00.000000

People already carry an email address (people.email, from the start), so only the record of
what was sent is new.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0026"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = hub.store.schema.UtcDateTime(timezone=True)
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("booking", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("due", utc, nullable=False),
        sa.Column("raised_at", utc, nullable=False),
        sa.Column("sent_at", utc, nullable=True),
        sa.Column("dropped_at", utc, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reminders_pending", "reminders", ["sent_at", "dropped_at"])


def downgrade() -> None:
    op.drop_index("ix_reminders_pending", table_name="reminders")
    op.drop_table("reminders")
