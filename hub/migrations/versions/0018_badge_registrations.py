"""badge registrations: a revoked badge can be registered again, its history kept

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 20:30:00.000000

The UID was the key of ``badges``, so a revoked card could never be registered again (to fix a
card enrolled to the wrong person, say). From this revision each registration is a row of its
own, with when it was added and revoked, and a partial unique index lets a UID be registered to
one person at a time. The table is copied into its new shape, which drops the replica-change
triggers (migration 0013) with the old table on either engine: they are made again after.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# the trigger SQL is 0013's own, so the two cannot drift apart
_replica_changes = importlib.import_module("hub.migrations.versions.0013_replica_changes")
_KIND, _KEY, _COLUMNS = _replica_changes._WATCHED["badges"]


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _drop_triggers() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS replica_badges_log ON badges")
        op.execute("DROP TRIGGER IF EXISTS replica_badges_update ON badges")
        op.execute("DROP FUNCTION IF EXISTS replica_badges_log()")
    else:
        for when in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS replica_badges_{when}")


def _make_triggers() -> None:
    make: Callable[[str, str, str, tuple[str, ...]], list[str]] = (
        _replica_changes._postgresql_triggers
        if _postgresql()
        else _replica_changes._sqlite_triggers
    )
    for statement in make("badges", _KIND, _KEY, _COLUMNS):
        op.execute(statement)


def upgrade() -> None:
    at = hub.store.schema.UtcDateTime(timezone=True)
    _drop_triggers()
    op.create_table(
        "badges_new",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=64), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("added_at", at, nullable=True),
        sa.Column("revoked_at", at, nullable=True),
    )
    op.execute(
        "INSERT INTO badges_new (uid, person_id, revoked) "
        "SELECT uid, person_id, revoked FROM badges ORDER BY uid"
    )
    op.drop_table("badges")
    op.rename_table("badges_new", "badges")
    _indexes()
    _make_triggers()


def _indexes() -> None:
    op.create_index("ix_badges_person_id", "badges", ["person_id"])
    op.create_index("ix_badges_uid", "badges", ["uid"])
    op.create_index(
        "ux_badges_uid_active",
        "badges",
        ["uid"],
        unique=True,
        sqlite_where=sa.text("revoked = 0"),
        postgresql_where=sa.text("NOT revoked"),
    )


def downgrade() -> None:
    """Back to one row per UID: where a UID was registered more than once, the registration
    that is active (or else the latest) is kept and the older ones are lost."""
    _drop_triggers()
    op.create_table(
        "badges_old",
        sa.Column("uid", sa.String(length=20), primary_key=True),
        sa.Column("person_id", sa.String(length=64), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.execute(
        "INSERT INTO badges_old (uid, person_id, revoked) "
        "SELECT b.uid, b.person_id, b.revoked FROM badges b WHERE b.id = ("
        "SELECT k.id FROM badges k WHERE k.uid = b.uid "
        "ORDER BY CASE WHEN k.revoked THEN 1 ELSE 0 END, k.id DESC LIMIT 1)"
    )
    op.drop_table("badges")
    op.rename_table("badges_old", "badges")
    op.create_index("ix_badges_person_id", "badges", ["person_id"])
    _make_triggers()
