"""borrower accounts: a dashboard user may be a person's, and may have no local password

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 23:00:00.000000

Borrowers sign in to see and renew their own loans; an account made at first sign-in through
an identity provider has no password of ours.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=True)
        batch.add_column(sa.Column("person_id", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_users_person_id", ["person_id"])
        batch.create_foreign_key("fk_users_person_id", "people", ["person_id"], ["id"])


def downgrade() -> None:
    # accounts with no password of ours cannot exist before this revision
    passwordless = "SELECT username FROM users WHERE password_hash IS NULL"
    for table in ("web_sessions", "user_cages"):
        op.execute(f"DELETE FROM {table} WHERE username IN ({passwordless})")
    op.execute("DELETE FROM users WHERE password_hash IS NULL")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_person_id", type_="foreignkey")
        batch.drop_constraint("uq_users_person_id", type_="unique")
        batch.drop_column("person_id")
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=False)
