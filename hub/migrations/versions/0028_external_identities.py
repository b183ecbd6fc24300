"""external identities: accounts at an OpenID Connect provider or LDAP directory, linked to the
dashboard user they sign in as

Revision ID: 0028
Revises: 0025
Create Date: 2026-11-30 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0028"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identities",
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("provider", "subject"),
    )
    op.create_index(op.f("ix_external_identities_username"), "external_identities", ["username"])


def downgrade() -> None:
    op.drop_index(op.f("ix_external_identities_username"), table_name="external_identities")
    op.drop_table("external_identities")
