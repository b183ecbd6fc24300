"""replica changes: triggers log each changed key of what the kiosks' replica is made of

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 15:00:00.000000

The replica publisher re-reads only the keys logged since it last looked, instead of rebuilding
the whole replica every second. Triggers rather than application code, because every writer
must log: this hub's ingest, the CLI, the dashboard, the sweeper and other hub processes. Each
trigger is one small insert; an update logs only when it changes a column the replica shows
(an asset's status only when it moves between lendable, in maintenance and neither).

A later migration that rebuilds one of these tables on SQLite (``batch_alter_table`` copies
it) drops its triggers with the old table: it must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# table -> (kind logged, key column, the columns whose writes change the replica)
_WATCHED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "people": (
        "person",
        "id",
        ("id", "name", "active", "staff", "blocked_until", "blocked_reason"),
    ),
    "badges": ("person", "person_id", ("uid", "person_id", "revoked")),
    "trainings": ("person", "person", ("person", "name", "expires")),
    "late_returns": ("person", "person", ("person", "returned", "forgiven", "session", "event_id")),
    "alerts": ("person", "person", ("person", "kind", "text", "raised_at", "withdrawn_at")),
    "assets": ("asset", "code", ("code", "name", "category", "status", "kit")),
    "holdings": ("holding", "asset", ("asset", "person", "due", "renewals")),
    "bookings": ("booking", "asset", ("asset", "person", "starts", "ends", "cancelled")),
    "categories": ("policy", "name", ("name", "amount", "period", "requires")),
}


# An asset's status shows only as lendable (available or out) or not, and in maintenance or
# not: a checkout or return turns available into out and back, and changes nothing kiosks see,
# so the busiest update on ingest's path logs nothing.
_LENDABLE = "('available', 'out')"


def _changed(columns: tuple[str, ...], differ: str) -> str:
    """The SQL condition of an update that changes what the replica shows."""
    terms = []
    for c in columns:
        term = f"OLD.{c} {differ} NEW.{c}"
        if c == "status":
            term = f"({term} AND NOT (OLD.status IN {_LENDABLE} AND NEW.status IN {_LENDABLE}))"
        terms.append(term)
    return " OR ".join(terms)


def _sqlite_triggers(table: str, kind: str, key: str, columns: tuple[str, ...]) -> list[str]:
    log = f"INSERT INTO replica_changes (kind, key) SELECT '{kind}', "
    return [
        f"CREATE TRIGGER replica_{table}_insert AFTER INSERT ON {table} BEGIN {log}NEW.{key}; END",
        f"CREATE TRIGGER replica_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"WHEN {_changed(columns, 'IS NOT')} "
        f"BEGIN {log}NEW.{key}; {log}OLD.{key} WHERE OLD.{key} IS NOT NEW.{key}; END",
        f"CREATE TRIGGER replica_{table}_delete AFTER DELETE ON {table} BEGIN {log}OLD.{key}; END",
    ]


def _postgresql_triggers(table: str, kind: str, key: str, columns: tuple[str, ...]) -> list[str]:
    log = "INSERT INTO replica_changes (kind, key, xid) VALUES "
    xid = "pg_current_xact_id()::text::bigint"
    return [
        f"CREATE FUNCTION replica_{table}_log() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP <> 'DELETE' THEN\n"
        f"    {log}('{kind}', NEW.{key}, {xid});\n"
        "  END IF;\n"
        f"  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.{key} IS DISTINCT FROM NEW.{key})"
        " THEN\n"
        f"    {log}('{kind}', OLD.{key}, {xid});\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$",
        f"CREATE TRIGGER replica_{table}_log AFTER INSERT OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION replica_{table}_log()",
        f"CREATE TRIGGER replica_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN ({_changed(columns, 'IS DISTINCT FROM')}) "
        f"EXECUTE FUNCTION replica_{table}_log()",
    ]


def upgrade() -> None:
    op.create_table(
        "replica_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=True),
    )
    op.create_index(
        "ix_replica_changes_xid",
        "replica_changes",
        ["xid"],
        sqlite_where=sa.text("xid IS NOT NULL"),
    )
    op.create_table(
        "replica_horizon",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("pruned_below", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO replica_horizon (id, pruned_below) VALUES (1, 0)")
    make = _postgresql_triggers if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers
    for table, (kind, key, columns) in _WATCHED.items():
        for statement in make(table, kind, key, columns):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in _WATCHED:
        if postgresql:
            op.execute(f"DROP TRIGGER replica_{table}_log ON {table}")
            op.execute(f"DROP TRIGGER replica_{table}_update ON {table}")
            op.execute(f"DROP FUNCTION replica_{table}_log()")
        else:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER replica_{table}_{when}")
    op.drop_table("replica_horizon")
    op.drop_index("ix_replica_changes_xid", "replica_changes")
    op.drop_table("replica_changes")
