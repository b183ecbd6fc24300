"""loan periods of several kinds per category

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.alter_column("loan_hours", new_column_name="amount")
        batch_op.add_column(
            sa.Column("period", sa.String(length=16), server_default="hours", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("period")
        batch_op.alter_column("amount", new_column_name="loan_hours")
