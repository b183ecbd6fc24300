"""kiosk clock: each kiosk's clock offset and NTP state, measured from its live status

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_clock",
        sa.Column("kiosk", sa.String(length=63), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=True),
        sa.Column("measured_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kiosk"),
    )


def downgrade() -> None:
    op.drop_table("kiosk_clock")
