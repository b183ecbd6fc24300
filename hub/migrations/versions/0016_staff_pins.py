"""staff pins: each staff member's door PIN, as a salted scrypt hash kiosks verify offline

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 17:30:00.000000

The hash goes to kiosks in the replica, so a PIN set or cleared must be logged as a change of
the person (migration 0013's triggers). Their update trigger on ``people`` names the columns
whose writes matter: it is made again here with ``pin_hash`` among them. On SQLite a batch
operation that copies the table drops all of its triggers with the old table, so each way the
three ``people`` triggers are dropped first and made again after the column changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# the trigger SQL is 0013's own, so the two cannot drift apart
_replica_changes = importlib.import_module("hub.migrations.versions.0013_replica_changes")
_KIND, _KEY, _BEFORE = _replica_changes._WATCHED["people"]
_AFTER = (*_BEFORE, "pin_hash")


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _drop_triggers() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS replica_people_log ON people")
        op.execute("DROP TRIGGER IF EXISTS replica_people_update ON people")
        op.execute("DROP FUNCTION IF EXISTS replica_people_log()")
    else:
        for when in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS replica_people_{when}")


def _make_triggers(columns: tuple[str, ...]) -> None:
    make: Callable[[str, str, str, tuple[str, ...]], list[str]] = (
        _replica_changes._postgresql_triggers
        if _postgresql()
        else _replica_changes._sqlite_triggers
    )
    for statement in make("people", _KIND, _KEY, columns):
        op.execute(statement)


def upgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=200), nullable=True))
    _make_triggers(_AFTER)


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("pin_hash")
    _make_triggers(_BEFORE)
