"""quarantine bounds: payloads capped with their size and hash, a quota per kiosk, overflow counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:30:00.000000
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.store.schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# as hub.store.quarantine at this revision
KEEP = 64 * 1024
UNKNOWN_BUCKET = "-"

_quarantine = sa.table(
    "quarantine",
    sa.column("id", sa.Integer()),
    sa.column("kiosk", sa.String()),
    sa.column("payload", sa.LargeBinary()),
    sa.column("size", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("bucket", sa.String()),
)
_kiosks = sa.table("kiosks", sa.column("id", sa.String()))


def _fill() -> None:
    """Give each row its size, hash and bucket, then cut payloads longer than the cap (the
    size and hash still describe the whole message)."""
    q = _quarantine
    conn = op.get_bind()
    registered = set(conn.scalars(sa.select(_kiosks.c.id)))
    values: list[dict[str, Any]] = []
    longer: list[int] = []
    rows = conn.execute(
        sa.select(q.c.id, q.c.kiosk, q.c.payload).order_by(q.c.id).execution_options(yield_per=50)
    )
    for row in rows:
        payload = bytes(row.payload)
        values.append(
            {
                "b_id": row.id,
                "b_size": len(payload),
                "b_sha256": hashlib.sha256(payload).hexdigest(),
                "b_bucket": row.kiosk if row.kiosk in registered else UNKNOWN_BUCKET,
            }
        )
        if len(payload) > KEEP:
            longer.append(row.id)
    if values:
        conn.execute(
            sa.update(q)
            .where(q.c.id == sa.bindparam("b_id"))
            .values(
                size=sa.bindparam("b_size"),
                sha256=sa.bindparam("b_sha256"),
                bucket=sa.bindparam("b_bucket"),
            ),
            values,
        )
    for start in range(0, len(longer), 500):
        conn.execute(
            sa.update(q)
            .where(q.c.id.in_(longer[start : start + 500]))
            .values(payload=sa.func.substr(q.c.payload, 1, KEEP))
        )


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("bucket", sa.String(length=63), nullable=True))

    _fill()

    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("bucket", existing_type=sa.String(length=63), nullable=False)
        batch_op.create_index("ix_quarantine_bucket", ["bucket"], unique=False)

    op.create_table(
        "quarantine_overflow",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("first_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", hub.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )


def downgrade() -> None:
    # payloads cut to the cap stay cut
    op.drop_table("quarantine_overflow")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_bucket")
        batch_op.drop_column("bucket")
        batch_op.drop_column("sha256")
        batch_op.drop_column("size")
