"""loan weeks: the sums of the reports' loans per category and week

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 18:00:00.000000

The reports page summed a window over every custody event of its period, a cost that grows with
the ledger. From this revision the custody fold keeps the sums of the loans per category and week
(``loan_weeks``) as events are committed; this migration makes the table and fills it from the
ledger as it stands.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema
from hub.store.loan_weeks import rebuild

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    at = hub.store.schema.UtcDateTime(timezone=True)
    weeks = op.create_table(
        "loan_weeks",
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("week", at, primary_key=True),
        sa.Column("starts", sa.BigInteger(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("ends", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
    )
    assert weeks is not None
    rebuild(op.get_bind(), weeks, locking=False)


def downgrade() -> None:
    op.drop_table("loan_weeks")
