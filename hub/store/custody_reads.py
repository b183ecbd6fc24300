"""Reads of what is stored of assets' custody, for the fold to compare with (hub.store.custody):
their rest points, their custody events in the ledger, and the rows those events made."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select

from hub.domain import custody
from hub.domain.custody import Anomaly, Condition, Custody, Fact, Holding, Kind, Order
from hub.store import schema as t
from hub.store.among import PerDialect, among, one_of

CUSTODY_TYPES = tuple(k.value for k in Kind)
ANOMALIES = tuple(a.value for a in Anomaly)

_FACT_COLUMNS = (
    t.ledger.c.asset,
    t.ledger.c.id,
    t.ledger.c.at,
    t.ledger.c.type,
    t.ledger.c.kiosk,
    t.ledger.c.seq,
    t.ledger.c.person,
    t.ledger.c.due,
    t.ledger.c.condition,
    t.ledger.c.session,
    t.ledger.c.detail,
)
_MARK = t.custody_marks
# Ledger rows from the time of their asset's rest point on (the index on (asset, at) finds
# them); which of them come after it in event order is decided here, in Python, as the fold
# orders: a database compares the kiosk ids by its own collation, which need not agree.
_FROM_MARK = t.ledger.c.at >= _MARK.c.at
_KINDS = {k.value: k for k in Kind}
_CONDITIONS = {c.value: c for c in Condition}
# the reads of a commit, each built once (hub.store.among)
_MARKS = PerDialect(lambda d: select(_MARK).where(among(_MARK.c.asset, d)))
_FACTS = PerDialect(
    lambda d: select(*_FACT_COLUMNS).where(
        among(t.ledger.c.asset, d), one_of(t.ledger.c.type, CUSTODY_TYPES)
    )
)
_FACTS_AFTER_MARK = PerDialect(
    lambda d: (
        select(*_FACT_COLUMNS)
        .join(_MARK, _MARK.c.asset == t.ledger.c.asset)
        .where(among(t.ledger.c.asset, d), one_of(t.ledger.c.type, CUSTODY_TYPES), _FROM_MARK)
    )
)
_HOLDINGS = PerDialect(lambda d: select(t.holdings).where(among(t.holdings.c.asset, d)))
_OPEN_ALERTS = PerDialect(
    lambda d: select(t.alerts.c.asset, t.alerts.c.id, t.alerts.c.loan).where(
        among(t.alerts.c.asset, d), t.alerts.c.withdrawn_at.is_(None)
    )
)
_OPEN_TICKETS = PerDialect(
    lambda d: (
        select(t.tickets.c.asset, func.count())
        .where(among(t.tickets.c.asset, d), t.tickets.c.closed_at.is_(None))
        .group_by(t.tickets.c.asset)
    )
)


def after_mark(order: Order, mark: Order | None) -> bool:
    return mark is None or order > mark


def marks(conn: Connection, codes: Sequence[str]) -> dict[str, tuple[Order, bool]]:
    """The assets' rest points, and whether anything hangs on an event after each (see
    schema.custody_marks)."""
    found: dict[str, tuple[Order, bool]] = {}
    if codes:
        for r in conn.execute(_MARKS.on(conn), {"keys": sorted(codes)}):
            found[r.asset] = ((r.at, r.kiosk, r.seq, r.event_id), r.pending)
    return found


def facts(
    conn: Connection, codes: Sequence[str], marked: dict[str, Order] | None = None
) -> dict[str, list[Fact]]:
    """The custody events of these assets in the ledger: all of them, or for the ``marked``
    ones (whose rest point, as custody_marks holds it, is given) those after their rest
    point."""
    marked = marked or {}
    found: dict[str, list[Fact]] = defaultdict(list)
    whole = sorted(set(codes) - set(marked))
    reads = [(_FACTS, whole), (_FACTS_AFTER_MARK, sorted(marked))]
    for statement, keys in reads:
        if not keys:
            continue
        for r in conn.execute(statement.on(conn), {"keys": keys}):
            if not after_mark((r.at, r.kiosk, r.seq, r.id), marked.get(r.asset)):
                continue
            found[r.asset].append(
                Fact(
                    id=r.id,
                    at=r.at,
                    kind=_KINDS[r.type],
                    kiosk=r.kiosk,
                    seq=r.seq,
                    person=r.person,
                    due=r.due,
                    condition=_CONDITIONS[r.condition] if r.condition else None,
                    session=r.session,
                    detail=r.detail,
                )
            )
    return found


def derive(
    conn: Connection,
    codes: Sequence[str],
    grace: timedelta,
    tolerance: timedelta,
    marked: dict[str, Order] | None = None,
) -> dict[str, Custody]:
    found = facts(conn, codes, marked)
    return {code: custody.fold(code, found.get(code, ()), grace, tolerance) for code in codes}


@dataclass
class Stored:
    holdings: dict[str, Holding] = field(default_factory=dict)
    late: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    flags: dict[str, dict[tuple[str, str | None], Any]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    tickets: dict[str, Any] = field(default_factory=dict)  # by the return that opened it
    alerts: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class _Made:
    """The reads of one table's rows that events of given assets made: all of them, or
    those of events after the asset's rest point (with the event's order)."""

    all: PerDialect[Select[Any]]
    after_mark: PerDialect[Select[Any]]


def _made(table: Any, *where: Any) -> _Made:
    return _Made(
        PerDialect(lambda d: select(table).where(among(table.c.asset, d), *where)),
        PerDialect(
            lambda d: (
                select(table, t.ledger.c.at.label("ev_at"), t.ledger.c.kiosk.label("ev_kiosk"))
                .add_columns(t.ledger.c.seq.label("ev_seq"))
                .join(t.ledger, t.ledger.c.id == table.c.event_id)
                .join(_MARK, _MARK.c.asset == table.c.asset)
                .where(among(table.c.asset, d), _FROM_MARK, *where)
            )
        ),
    )


_LATE_MADE = _made(t.late_returns)
_FLAGS_MADE = _made(
    t.conflicts, or_(t.conflicts.c.kind.is_(None), one_of(t.conflicts.c.kind, ANOMALIES))
)
_TICKETS_MADE = _made(t.tickets, t.tickets.c.event_id.is_not(None))


def _attached(
    conn: Connection, made: _Made, codes: Sequence[str], marked: dict[str, Order]
) -> list[Any]:
    """The rows ``made`` by events (their ``event_id``) of these assets; for an asset in
    ``marked``, only those made by events after its rest point."""
    whole = [c for c in codes if c not in marked]
    after = [c for c in codes if c in marked]
    rows: list[Any] = []
    if whole:
        rows += conn.execute(made.all.on(conn), {"keys": whole}).all()
    if after:
        rows += [
            r
            for r in conn.execute(made.after_mark.on(conn), {"keys": after})
            if after_mark((r.ev_at, r.ev_kiosk, r.ev_seq, r.event_id), marked[r.asset])
        ]
    return rows


def stored(
    conn: Connection,
    codes: Sequence[str],
    marked: dict[str, Order] | None = None,
    alerts: bool = True,
    quiet: frozenset[str] = frozenset(),
) -> Stored:
    """What is stored of these assets' custody: for the ``marked`` ones, what events after
    their rest point made (and the holding and open alerts, which are the asset's now); for
    the ``quiet`` ones among them nothing was, and nothing is read."""
    s = Stored()
    rest = marked or {}
    codes = sorted(codes)
    if codes:
        for r in conn.execute(_HOLDINGS.on(conn), {"keys": codes}):
            s.holdings[r.asset] = Holding(**r._mapping)
    part = [c for c in codes if c not in quiet]
    if part:
        for r in _attached(conn, _LATE_MADE, part, rest):
            s.late[r.asset][r.event_id] = r
        for r in _attached(conn, _FLAGS_MADE, part, rest):
            s.flags[r.asset][(r.event_id, r.kind)] = r
        for r in _attached(conn, _TICKETS_MADE, part, rest):
            s.tickets[r.event_id] = r
    if alerts:
        s.alerts = open_alerts(conn, codes)
    return s


def open_alerts(conn: Connection, codes: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """The open alerts of these assets: (alert id, the loan it is about), by asset."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if codes:
        for r in conn.execute(_OPEN_ALERTS.on(conn), {"keys": sorted(codes)}):
            found[r.asset].append((r.id, r.loan))
    return found


def open_tickets(conn: Connection, codes: Sequence[str]) -> dict[str, int]:
    """How many open tickets each of these assets has (absent: none)."""
    if not codes:
        return {}
    return {code: n for code, n in conn.execute(_OPEN_TICKETS.on(conn), {"keys": sorted(codes)})}
