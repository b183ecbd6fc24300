"""holding renewals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:08:12.791361
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewals", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_column("renewals")
