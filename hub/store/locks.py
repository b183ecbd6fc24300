"""Row locks that keep hub processes sharing one PostgreSQL database from racing on an asset.

Every transaction that derives custody or acts on it (ingest, the sweeper raising alerts and
releasing no-shows, service holds, lifecycle moves, closing a ticket) locks the rows of the
assets it touches before anything else, in code order, so two of them touching the same asset
take turns and none waits for another in a circle. SQLite ignores the lock: there a write
transaction takes the database's write lock when it begins (StoreBase._tx).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from hub.store.among import PerDialect, among
from hub.store.schema import assets

_CHUNK = 500  # values per IN list: far below any database's limit on bound parameters


def chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_LOCK = PerDialect(
    lambda dialect: (
        select(assets)
        .where(among(assets.c.code, dialect))
        .order_by(assets.c.code)
        .with_for_update()
    )
)


def lock(conn: Connection, codes: Sequence[str]) -> dict[str, Any]:
    """The assets' rows, locked for the rest of this transaction, by code."""
    if not codes:
        return {}
    return {row.code: row for row in conn.execute(_LOCK.on(conn), {"keys": sorted(codes)})}
