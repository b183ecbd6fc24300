"""asset model, manufacturer and own fields: what other systems' exports carry

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-30 20:00:00.000000

Snipe-IT, Cheqroom and Shelf exports name each item's model and manufacturer (Cheqroom: brand)
and carry fields of the manager's own making. The model and manufacturer become columns of
``assets``; any other field is kept in ``asset_fields`` by name, so an import loses nothing and
the export writes it back. The columns are added in place (no table copy), so the replica
triggers on ``assets`` stay as they are: kiosks need neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("model", sa.String(200), nullable=True))
    op.add_column("assets", sa.Column("manufacturer", sa.String(200), nullable=True))
    op.create_table(
        "asset_fields",
        sa.Column(
            "asset",
            sa.String(64),
            sa.ForeignKey("assets.code", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("asset_fields")
    # in place (SQLite 3.35 and later drop a column without copying the table and its triggers)
    op.drop_column("assets", "manufacturer")
    op.drop_column("assets", "model")
