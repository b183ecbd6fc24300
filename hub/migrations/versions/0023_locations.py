"""locations: a managed list of cages, and the cages a dashboard user is limited to

Revision ID: 0023
Revises: 0017
Create Date: 2026-11-30 20:15:00.000000

Every place already named (an asset's home or last location, a kiosk's or a stocktake's
location) goes into the list, so no asset or kiosk names a place the list lacks.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0023"
down_revision = "0019"
branch_labels = None
depends_on = None

_NAMED = (("assets", "home"), ("assets", "location"), ("kiosks", "location"))


def upgrade() -> None:
    locations = op.create_table(
        "locations",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "user_cages",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["location"], ["locations.name"]),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username", "location"),
    )
    bind = op.get_bind()
    names: set[str] = set()
    for table, column in (*_NAMED, ("stocktakes", "location")):
        rows = bind.execute(sa.text(f"SELECT DISTINCT {column} FROM {table}"))
        names.update(str(r[0]).strip() for r in rows if r[0] and str(r[0]).strip())
    now = datetime.now(UTC)
    if names:
        op.bulk_insert(locations, [{"name": n, "created_at": now} for n in sorted(names)])


def downgrade() -> None:
    op.drop_table("user_cages")
    op.drop_table("locations")
