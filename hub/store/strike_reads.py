"""People's late returns read from the store and counted as strikes (hub.domain.strikes).

Strikes are grouped in Python, not in SQL: a visit may join returns from several sessions
(a return station makes one per scan), which no GROUP BY expresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from hub.domain.strikes import LateItem, Strike, StrikeRules, strikes
from hub.store.locks import chunks
from hub.store.schema import late_returns

_COLUMNS = (
    late_returns.c.person,
    late_returns.c.event_id,
    late_returns.c.returned,
    late_returns.c.session,
)


def late_items(
    conn: Connection, persons: Sequence[str] | None, since: datetime | None = None
) -> dict[str, list[LateItem]]:
    """The late returns not forgiven of these people (None: everyone's), returned at or after
    ``since`` if given."""
    where: list[Any] = [late_returns.c.forgiven.is_(False)]
    if since is not None:
        where.append(late_returns.c.returned >= since)
    found: dict[str, list[LateItem]] = {}
    parts = [None] if persons is None else list(chunks(sorted(set(persons))))
    for part in parts:
        q = select(*_COLUMNS).where(*where)
        if part is not None:
            q = q.where(late_returns.c.person.in_(part))
        for person, event_id, returned, session in conn.execute(q):
            found.setdefault(person, []).append(LateItem(event_id, returned, session))
    return found


def strikes_of(
    conn: Connection,
    persons: Sequence[str] | None,
    rules: StrikeRules,
    since: datetime | None = None,
) -> dict[str, list[Strike]]:
    """Each person's strikes (only people with any), grouped by ``rules``."""
    return {p: strikes(items, rules) for p, items in late_items(conn, persons, since).items()}
