"""quarantine repeats: the same message again counts on its row instead of adding one

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:36:43.671767
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_quarantine = sa.table(
    "quarantine",
    sa.column("id", sa.Integer()),
    sa.column("received_at", hub.store.schema.UtcDateTime(timezone=True)),
    sa.column("topic", sa.String()),
    sa.column("error", sa.String()),
    sa.column("payload", sa.LargeBinary()),
    sa.column("digest", sa.String()),
    sa.column("repeats", sa.Integer()),
    sa.column("last_at", hub.store.schema.UtcDateTime(timezone=True)),
)


def _digest(topic: str, payload: bytes) -> str:
    # as hub.store.schema.quarantine_digest at this revision
    return hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()


def _merge_repeats() -> None:
    """Fill the new columns; rows holding the same message again fold into the first one."""
    q = _quarantine
    conn = op.get_bind()
    first: dict[str, dict[str, Any]] = {}
    later: list[int] = []
    rows = conn.execute(
        sa.select(q.c.id, q.c.received_at, q.c.topic, q.c.error, q.c.payload)
        .order_by(q.c.id)
        .execution_options(yield_per=1000)
    )
    for row in rows:
        digest = _digest(row.topic, bytes(row.payload))
        kept = first.get(digest)
        if kept is None:
            first[digest] = {
                "b_id": row.id,
                "b_digest": digest,
                "b_repeats": 0,
                "b_last_at": row.received_at,
                "b_error": row.error,
            }
            continue
        later.append(row.id)
        kept["b_repeats"] += 1
        last: datetime = kept["b_last_at"]
        kept["b_last_at"] = max(last, row.received_at)
        kept["b_error"] = row.error
    if first:
        conn.execute(
            sa.update(q)
            .where(q.c.id == sa.bindparam("b_id"))
            .values(
                digest=sa.bindparam("b_digest"),
                repeats=sa.bindparam("b_repeats"),
                last_at=sa.bindparam("b_last_at"),
                error=sa.bindparam("b_error"),
            ),
            list(first.values()),
        )
    for start in range(0, len(later), 500):
        conn.execute(sa.delete(q).where(q.c.id.in_(later[start : start + 500])))


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("repeats", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("last_at", hub.store.schema.UtcDateTime(timezone=True), nullable=True)
        )

    _merge_repeats()

    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.alter_column("digest", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "last_at", existing_type=hub.store.schema.UtcDateTime(timezone=True), nullable=False
        )
        batch_op.create_unique_constraint("uq_quarantine_digest", ["digest"])


def downgrade() -> None:
    # the repeats stay folded: each message keeps one row
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint("uq_quarantine_digest", type_="unique")
        batch_op.drop_column("last_at")
        batch_op.drop_column("repeats")
        batch_op.drop_column("digest")
