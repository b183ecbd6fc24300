"""What the parts of the store share: engine, transactions, the hub's own ledger rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hub.errors import StoreError
from hub.store import journal
from hub.store.journal import HUB as HUB


def wait_when_busy(engine: Engine, seconds: float) -> None:
    """SQLite: how long a statement waits for another connection's write lock before it fails
    with "database is locked". The hub keeps its default (a few seconds, then the kiosks send
    again); a person at a shell would rather wait for a running command than start again.
    Connections already in the pool are closed, so every one from now on waits this long."""
    if engine.dialect.name != "sqlite":
        return
    millis = max(0, int(seconds * 1000))

    def _set(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={millis}")
        cur.close()

    event.listen(engine, "connect", _set)  # after the store's own pragmas: this one wins
    engine.dispose()


class StoreBase:
    """The engine a repository works on, its transactions and what each writes beside its own
    rows (hub.store.journal)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Whether this process may do ``name`` now, held for the ``with`` block.

        On PostgreSQL, where several hub processes share a database, a session advisory lock
        elects one of them (the others get False and skip); SQLite has one hub.
        """
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"cagekeeper:{name}".encode()).digest()[:8], "big")
        key -= 1 << 63  # a signed bigint
        with self.engine.connect() as conn:
            held = bool(conn.scalar(select(func.pg_try_advisory_lock(key))))
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.scalar(select(func.pg_advisory_unlock(key)))
                    conn.commit()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A transaction. The database being unavailable (down, locked, the connection lost, no
        connection free) raises StoreError: the same work may succeed later. Any other error is
        about what was written (or a bug) and goes up as it is: trying again fails again."""
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    # take the write lock now, not at the first write: what a transaction reads
                    # before it writes (a holding, a booking) cannot change under it
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except OperationalError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            raise StoreError(f"database connection lost: {exc.orig}") from exc
        except PoolTimeout as exc:
            raise StoreError(f"no database connection free: {exc}") from exc

    def next_number(self, name: str) -> int:
        """The next number of counter ``name``, taken in a transaction of its own (a source of
        events that the hub itself signs, such as the dashboard's desk, numbers them so)."""
        with self._tx() as conn:
            return journal.next_number(conn, name)

    def audit(
        self, now: datetime, actor: str, action: str, target: str | None, detail: str | None = None
    ) -> None:
        """Record a manager's action (dashboard, API or CLI) in the audit log."""
        with self._tx() as conn:
            journal.audit(conn, now, actor, action, target, detail)
