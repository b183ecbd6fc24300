"""access groups: categories restricted to groups, and people's groups from the identity provider

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 23:20:00.000000

``categories.groups`` lists the access groups (courses, departments) whose members may borrow a
category (none: everyone). ``people.provider_groups`` keeps the groups the identity provider
last gave a person apart from ``people.groups`` (the registry's: spreadsheet, dashboard, CLI),
so a spreadsheet import does not wipe what sign-in gave, nor sign-in what the import gave.

Both go to kiosks in the replica, and so does ``people.groups``, which migration 0013's update
trigger on ``people`` did not watch: the ``people`` and ``categories`` triggers are made again
here with these columns among the watched ones (dropped first, as migration 0016 explains).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# the trigger SQL is 0013's own, and the people columns 0016 watches, so they cannot drift apart
_replica_changes = importlib.import_module("hub.migrations.versions.0013_replica_changes")
_staff_pins = importlib.import_module("hub.migrations.versions.0016_staff_pins")
_PEOPLE_BEFORE = _staff_pins._AFTER
_PEOPLE_AFTER = (*_PEOPLE_BEFORE, "groups", "provider_groups")
_CATEGORIES_BEFORE = _replica_changes._WATCHED["categories"][2]
_CATEGORIES_AFTER = (*_CATEGORIES_BEFORE, "groups")


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _drop_triggers(table: str) -> None:
    if _postgresql():
        op.execute(f"DROP TRIGGER IF EXISTS replica_{table}_log ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS replica_{table}_update ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS replica_{table}_log()")
    else:
        for when in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS replica_{table}_{when}")


def _make_triggers(table: str, columns: tuple[str, ...]) -> None:
    make: Callable[[str, str, str, tuple[str, ...]], list[str]] = (
        _replica_changes._postgresql_triggers
        if _postgresql()
        else _replica_changes._sqlite_triggers
    )
    kind, key, _ = _replica_changes._WATCHED[table]
    for statement in make(table, kind, key, columns):
        op.execute(statement)


def upgrade() -> None:
    _drop_triggers("people")
    _drop_triggers("categories")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_groups", sa.Text(), nullable=True))
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups", sa.String(length=500), nullable=True))
    _make_triggers("people", _PEOPLE_AFTER)
    _make_triggers("categories", _CATEGORIES_AFTER)


def downgrade() -> None:
    _drop_triggers("people")
    _drop_triggers("categories")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("groups")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("provider_groups")
    _make_triggers("people", _PEOPLE_BEFORE)
    _make_triggers("categories", _CATEGORIES_BEFORE)
