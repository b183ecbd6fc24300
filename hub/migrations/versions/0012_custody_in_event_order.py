"""custody in event order: anomalies say their kind and time, rest points, indexes by asset;
every asset is re-derived

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Custody was folded in arrival order before this revision; the hub re-derives every asset from
# the ledger when it next opens the database (hub.store.custody.REDERIVE).
_REDERIVE = "custody_rederive"


def upgrade() -> None:
    with op.batch_alter_table("conflicts") as batch:
        batch.add_column(sa.Column("kind", sa.String(24), nullable=True))
        batch.add_column(
            sa.Column("at", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_conflicts_asset", ["asset"])
    with op.batch_alter_table("assets") as batch:
        batch.add_column(
            sa.Column("located_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE assets SET located_at = last_seen WHERE location IS NOT NULL")
    # what the arrival-order hub recorded, classified, so a resolved one stays resolved
    op.execute(
        "UPDATE conflicts SET kind = CASE WHEN asset = '-' THEN 'enrolment' "
        "WHEN detail LIKE '%without holding it%' THEN 'stray_extension' "
        "ELSE 'double_lending' END WHERE kind IS NULL"
    )
    op.execute(
        "UPDATE conflicts SET at = (SELECT ledger.at FROM ledger WHERE ledger.id = "
        "conflicts.event_id) WHERE at IS NULL"
    )
    op.create_index("ix_late_returns_asset", "late_returns", ["asset"])
    op.create_index("ix_alerts_asset", "alerts", ["asset"])
    op.create_table(
        "custody_marks",
        sa.Column("asset", sa.String(64), primary_key=True),
        sa.Column("at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kiosk", sa.String(63), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False, server_default="1"),
    )
    counters = sa.table(
        "counters", sa.column("name", sa.String()), sa.column("value", sa.Integer())
    )
    op.execute(counters.delete().where(counters.c.name == _REDERIVE))
    op.execute(counters.insert().values(name=_REDERIVE, value=1))


def downgrade() -> None:
    counters = sa.table(
        "counters", sa.column("name", sa.String()), sa.column("value", sa.Integer())
    )
    op.execute(counters.delete().where(counters.c.name == _REDERIVE))
    op.drop_table("custody_marks")
    op.drop_index("ix_alerts_asset", "alerts")
    op.drop_index("ix_late_returns_asset", "late_returns")
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("located_at")
    with op.batch_alter_table("conflicts") as batch:
        batch.drop_index("ix_conflicts_asset")
        batch.drop_column("at")
        batch.drop_column("kind")
