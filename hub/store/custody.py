"""Stored custody kept equal to the ledger's fold (hub.domain.custody), set-based.

For a set of assets this loads their custody events from the ledger, folds each asset in event
order, and writes the difference from what is stored: holdings, late returns, problem tickets,
anomalies, alerts of loans that turned out to be over, the asset's status. It runs in the
caller's transaction, after the caller's ledger rows are inserted, under a row lock on the
assets (PostgreSQL), so hub processes committing events of the same asset take turns and the
last one folds everything all of them wrote.

The fold starts at the asset's rest point (``custody_marks``) when every new event comes after
it, so a commit costs the same for an item lent a thousand times as for a new one; an event that
belongs before the rest point (an offline kiosk's, hours late) re-derives the whole history.
The loans the reports count are re-derived from the same point, and their sums per category
and week corrected by the difference (hub.store.loan_weeks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, or_, select, update

from hub.domain import custody
from hub.domain.custody import Anomaly, Condition, Custody, Fact, Holding, Kind, Order
from hub.domain.lifecycle import Status
from hub.store import loan_weeks
from hub.store import schema as t
from hub.store.alerting import withdraw
from hub.store.among import PerDialect, among, one_of
from hub.store.locks import chunks, lock
from hub.store.registry import ticket_values
from hub.store.writes import Writes

# counter rows: set by a migration when every asset must be re-derived from the ledger; and
# a fingerprint of the rules the fold last ran with (a change re-derives every asset too)
REDERIVE = "custody_rederive"
RULES = "custody_rules"
CUSTODY_TYPES = tuple(k.value for k in Kind)
ANOMALIES = tuple(a.value for a in Anomaly)
_SETTLED = (Status.RETIRED.value, Status.DISPOSED.value)


@dataclass
class Applied:
    """What a re-derivation changed that the caller still acts on."""

    people: set[str] = field(default_factory=set)  # whose late returns changed
    status: dict[str, str] = field(default_factory=dict)  # each asset's status now


@dataclass(frozen=True)
class Difference:
    """Where the stored projection and the ledger's fold disagree, about an asset or (a ban)
    a person."""

    asset: str | None
    what: str
    stored: str
    derived: str
    person: str | None = None

    def __str__(self) -> str:
        who = self.asset or (f"person {self.person}" if self.person else "reports")
        return f"{who}: {self.what}: stored {self.stored}, ledger says {self.derived}"


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


def _after(order: Order, mark: Order | None) -> bool:
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
            if not _after((r.at, r.kiosk, r.seq, r.id), marked.get(r.asset)):
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
class _Stored:
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
            if _after((r.ev_at, r.ev_kiosk, r.ev_seq, r.event_id), marked[r.asset])
        ]
    return rows


def _stored(
    conn: Connection,
    codes: Sequence[str],
    marked: dict[str, Order] | None = None,
    alerts: bool = True,
    quiet: frozenset[str] = frozenset(),
) -> _Stored:
    """What is stored of these assets' custody: for the ``marked`` ones, what events after
    their rest point made (and the holding and open alerts, which are the asset's now); for
    the ``quiet`` ones among them nothing was, and nothing is read."""
    s = _Stored()
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
        s.alerts = _open_alerts(conn, codes)
    return s


def _open_alerts(conn: Connection, codes: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """The open alerts of these assets: (alert id, the loan it is about), by asset."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if codes:
        for r in conn.execute(_OPEN_ALERTS.on(conn), {"keys": sorted(codes)}):
            found[r.asset].append((r.id, r.loan))
    return found


def apply(
    conn: Connection,
    codes: Iterable[str],
    now: datetime,
    grace: timedelta,
    tolerance: timedelta = custody.CLOCK_TOLERANCE,
    locked: dict[str, Any] | None = None,
    new: dict[str, Order] | None = None,
    added: Collection[str] | None = None,
) -> Applied:
    """Re-derive these assets from the ledger and store the result (in ``conn``'s transaction).

    ``new``: per asset, the earliest (in event order) of the events this transaction added:
    an asset whose new events all come after its rest point is folded from there on; the
    others from their whole history. None: every asset from its whole history.
    ``locked``: the assets' rows, if the caller has locked them already (see ``lock``).
    ``added``: the ids of the events this transaction added (the reports' loan sums change
    by what they change; without them, the sums do not change).

    A few reads for all the assets, the fold, then one executemany per kind of write."""
    wanted = set(codes)
    rows = (
        {c: r for c, r in locked.items() if c in wanted}
        if locked is not None
        else lock(conn, sorted(wanted))
    )
    known = sorted(rows)
    had = marks(conn, known)
    usable = {c: m for c, (m, _) in had.items() if new is not None and c in new and new[c] > m}
    quiet = frozenset(c for c in usable if not had[c][1])
    found = facts(conn, known, usable)
    derived = {code: custody.fold(code, found.get(code, ()), grace, tolerance) for code in known}
    stored = _stored(conn, known, usable, alerts=False, quiet=quiet)
    loans = _loans(conn, known, rows, found, usable, added)
    # Alerts are raised only for the current loan (see AlertStore.record_sweep), so only an
    # asset whose loan ended or changed here, or one re-derived whole, can have void ones.
    alerts = _open_alerts(
        conn,
        [
            c
            for c in known
            if c not in usable
            or (stored.holdings.get(c) is not None and stored.holdings[c] != derived[c].holding)
        ],
    )
    done = Applied()
    out = Writes()
    void: list[str] = []
    opened: dict[str, int] = {}
    for code in known:
        c = derived[code]
        _mark(out, code, c.rest or usable.get(code), c.pending, had.get(code))
        _holding(out, code, stored.holdings.get(code), c.holding)
        done.people |= _late(out, code, stored.late.get(code, {}), c)
        opened[code] = _problems(out, code, stored.tickets, c, now)
        _flags(out, code, stored.flags.get(code, {}), c, now)
        current = c.holding.event_id if c.holding else None
        void += [i for i, loan in alerts.get(code, []) if loan != current]
    out.flush(conn)
    if void:
        withdraw(conn, void, now)
    # back on the shelf from a loan (or with a new ticket): in maintenance while a ticket is open
    ask = [
        code
        for code in known
        if derived[code].holding is None
        and (
            rows[code].status == Status.OUT.value
            or (opened[code] and rows[code].status == Status.AVAILABLE.value)
        )
    ]
    ticketed = open_tickets(conn, ask)
    for code in known:
        status = _status(rows[code].status, derived[code].holding is not None, ticketed.get(code))
        if status != rows[code].status:
            out.add(_SET_STATUS, key=code, status=status)
        done.status[code] = status
    out.flush(conn)
    loan_weeks.save(conn, loans)
    return done


def _loans(
    conn: Connection,
    known: Sequence[str],
    rows: dict[str, Any],
    found: dict[str, list[Fact]],
    usable: dict[str, Order],
    added: Collection[str] | None,
) -> loan_weeks.Sums:
    """What the ``added`` events change in the sums of the loans the reports count
    (hub.store.loan_weeks), from the point each asset is folded from: its rest point, where
    a loan is open if the rest event is a checkout, or the beginning. Without ``added``
    (a re-derivation: no new events) nothing changes."""
    sums: loan_weeks.Sums = {}
    if not added:
        return sums
    out = loan_weeks.out_at_marks(conn, [c for c in known if c in usable])
    # a rest point at an extension says nothing of the loan: those read their whole history
    whole = facts(conn, [c for c in usable if c not in out])
    for code in known:
        if code in whole:
            history, was_out = whole[code], False
        else:
            history, was_out = found.get(code, []), out.get(code, False)
        loan_weeks.refold(sums, rows[code].category, history, was_out, added)
    return sums


_SET_STATUS = (
    update(t.assets).where(t.assets.c.code == bindparam("key")).values(status=bindparam("status"))
)
_ORDER_VALUES: dict[str, Any] = {
    "at": bindparam("at"),
    "kiosk": bindparam("kiosk"),
    "seq": bindparam("seq"),
}
_MARK_INSERT = insert(_MARK)
_MARK_UPDATE = (
    update(_MARK)
    .where(_MARK.c.asset == bindparam("key"))
    .values(**_ORDER_VALUES, event_id=bindparam("event_id"), pending=bindparam("pending"))
)
_MARK_DELETE = delete(_MARK).where(_MARK.c.asset == bindparam("key"))
_HOLDING_COLUMNS = ("person", "since", "due", "kiosk", "event_id", "renewals")
_HOLDING_INSERT = insert(t.holdings)
_HOLDING_UPDATE = (
    update(t.holdings)
    .where(t.holdings.c.asset == bindparam("key"))
    .values({c: bindparam(c) for c in _HOLDING_COLUMNS})
)
_HOLDING_DELETE = delete(t.holdings).where(t.holdings.c.asset == bindparam("key"))
_LATE_COLUMNS = ("person", "asset", "due", "returned", "minutes_late", "session")
_LATE_INSERT = insert(t.late_returns)
_LATE_UPDATE = (
    update(t.late_returns)
    .where(t.late_returns.c.event_id == bindparam("key"))
    .values({c: bindparam(c) for c in _LATE_COLUMNS})
)
_LATE_DELETE = delete(t.late_returns).where(t.late_returns.c.event_id == bindparam("key"))
_TICKET_INSERT = insert(t.tickets)
_TICKET_FOLLOWS = (
    update(t.tickets)
    .where(t.tickets.c.id == bindparam("key"))
    .values(person=bindparam("person"), loan_event_id=bindparam("loan_event_id"))
)
_FLAG_INSERT = insert(t.conflicts)
_FLAG_DETAIL = (
    update(t.conflicts)
    .where(t.conflicts.c.id == bindparam("key"))
    .values(detail=bindparam("detail"))
)
_FLAG_DELETE = delete(t.conflicts).where(t.conflicts.c.id == bindparam("key"))


def open_tickets(conn: Connection, codes: Sequence[str]) -> dict[str, int]:
    """How many open tickets each of these assets has (absent: none)."""
    if not codes:
        return {}
    return {code: n for code, n in conn.execute(_OPEN_TICKETS.on(conn), {"keys": sorted(codes)})}


def _mark(
    out: Writes,
    code: str,
    mark: Order | None,
    pending: bool,
    kept: tuple[Order, bool] | None,
) -> None:
    """Store the asset's rest point (``kept``: what the table holds for it)."""
    if (mark, pending) == kept:
        return
    if mark is None:
        if kept is not None:
            out.add(_MARK_DELETE, key=code)
        return
    at, kiosk, seq, event_id = mark
    values = {"at": at, "kiosk": kiosk, "seq": seq, "event_id": event_id, "pending": pending}
    if kept is not None:
        out.add(_MARK_UPDATE, key=code, **values)
    else:
        out.add(_MARK_INSERT, asset=code, **values)


def _holding(out: Writes, code: str, old: Holding | None, new: Holding | None) -> None:
    if old == new:
        return
    if new is None:
        out.add(_HOLDING_DELETE, key=code)
    elif old is None:
        out.add(_HOLDING_INSERT, asset=new.asset, **{c: getattr(new, c) for c in _HOLDING_COLUMNS})
    else:
        out.add(_HOLDING_UPDATE, key=code, **{c: getattr(new, c) for c in _HOLDING_COLUMNS})


def _late(out: Writes, code: str, old: dict[str, Any], c: Custody) -> set[str]:
    """Late returns as the fold says; returns the people whose strikes may have changed."""
    people: set[str] = set()
    wanted = {lr.event_id: lr for lr in c.late}
    for gone in (e for e in old if e not in wanted):
        out.add(_LATE_DELETE, key=gone)
        people.add(old[gone].person)
    for lr in wanted.values():
        values = {
            "person": lr.person,
            "asset": code,
            "due": lr.due,
            "returned": lr.returned,
            "minutes_late": lr.minutes_late,
            "session": lr.session,
        }
        row = old.get(lr.event_id)
        if row is None:
            out.add(_LATE_INSERT, event_id=lr.event_id, **values)
        elif any(getattr(row, k) != v for k, v in values.items()):
            out.add(_LATE_UPDATE, key=lr.event_id, **values)
            people.add(row.person)
        else:
            continue
        people.add(lr.person)
    return people


def _problems(out: Writes, code: str, tickets: dict[str, Any], c: Custody, now: datetime) -> int:
    """One ticket per problem return, opened once; an open one follows the loan the return is
    now known to have ended. Returns how many tickets were opened."""
    opened = 0
    for p in c.problems:
        row = tickets.get(p.event_id)
        if row is None:
            out.add(
                _TICKET_INSERT,
                **ticket_values(
                    now,
                    code,
                    p.condition.value,
                    p.detail or f"reported {p.condition.value} at {p.kiosk}",
                    person=p.person,
                    event_id=p.event_id,
                    loan_event_id=p.loan_event_id,
                ),
            )
            opened += 1
        elif row.closed_at is None and (row.person, row.loan_event_id) != (
            p.person,
            p.loan_event_id,
        ):
            out.add(_TICKET_FOLLOWS, key=row.id, person=p.person, loan_event_id=p.loan_event_id)
    return opened


def _flags(
    out: Writes, code: str, old: dict[tuple[str, str | None], Any], c: Custody, now: datetime
) -> None:
    """Anomalies as the fold says: a late event that explains one withdraws it; one a manager
    has already resolved stays resolved."""
    wanted = {(f.event_id, f.kind.value): f for f in c.flags}
    for key, row in old.items():
        if key not in wanted and not row.resolved:
            out.add(_FLAG_DELETE, key=row.id)
    for key, f in wanted.items():
        row = old.get(key)
        if row is None:
            out.add(
                _FLAG_INSERT,
                detected_at=now,
                asset=code,
                event_id=f.event_id,
                detail=f.detail,
                kind=f.kind.value,
                at=f.at,
            )
        elif row.detail != f.detail:
            out.add(_FLAG_DETAIL, key=row.id, detail=f.detail)


def _status(stored: str, held: bool, open_tickets: int | None) -> str:
    """Held: out. Back on the shelf from a loan: in maintenance while a ticket is open (every
    way into maintenance opens one), else available. Retired and disposed items keep their
    status whatever a kiosk says. So the status follows from the holding and the tickets,
    whatever order the events came in. ``open_tickets`` is None where it was not asked: the
    status cannot have changed for want of a loan ending or a ticket opening."""
    if stored in _SETTLED:
        return stored
    if held:
        return Status.OUT.value
    if open_tickets is not None or stored == Status.OUT.value:
        return Status.MAINTENANCE.value if open_tickets else Status.AVAILABLE.value
    return stored


def compare(
    conn: Connection, codes: Sequence[str], grace: timedelta, tolerance: timedelta
) -> list[Difference]:
    """Where what is stored for these assets differs from the ledger's fold (read only)."""
    derived = derive(conn, codes, grace, tolerance)
    stored = _stored(conn, codes)
    status = {}
    for part in chunks(sorted(codes)):
        q = select(t.assets.c.code, t.assets.c.status).where(t.assets.c.code.in_(part))
        status.update({code: s for code, s in conn.execute(q)})
    out: list[Difference] = []
    for code in sorted(codes):
        c = derived[code]
        old = stored.holdings.get(code)
        if old != c.holding:
            out.append(Difference(code, "holder", _loan(old), _loan(c.holding)))
        late_old = {e: (r.person, r.minutes_late) for e, r in stored.late.get(code, {}).items()}
        late_new = {lr.event_id: (lr.person, lr.minutes_late) for lr in c.late}
        if late_old != late_new:
            out.append(Difference(code, "late returns", _pairs(late_old), _pairs(late_new)))
        flags_old = {k for k, r in stored.flags.get(code, {}).items() if not r.resolved}
        flags_new: set[tuple[str, str | None]] = {(f.event_id, f.kind.value) for f in c.flags}
        if flags_old - flags_new or {k for k in flags_new if k not in stored.flags.get(code, {})}:
            out.append(Difference(code, "anomalies", _keys(flags_old), _keys(flags_new)))
        missing = [p.event_id for p in c.problems if p.event_id not in stored.tickets]
        if missing:
            out.append(Difference(code, "problem tickets", "none", ", ".join(missing)))
        s = status.get(code)
        if s is not None and s not in _SETTLED and (s == Status.OUT.value) != bool(c.holding):
            out.append(Difference(code, "status", s, "out" if c.holding else "not out"))
        current = c.holding.event_id if c.holding else None
        void = [i for i, loan in stored.alerts.get(code, []) if loan != current]
        if void:
            out.append(Difference(code, "open alerts of ended loans", ", ".join(void), "none"))
    return out


def loan_differences(conn: Connection) -> list[Difference]:
    """Where the reports' loan sums (per category and week) differ from what the whole ledger
    says (read only)."""
    return [Difference(None, m.what, m.stored, m.derived) for m in loan_weeks.mismatches(conn)]


def repair_loans(conn: Connection, found: Sequence[Difference]) -> None:
    """Rebuild the reports' loan sums from the ledger if ``found`` says they differ."""
    if any(d.what.startswith(loan_weeks.WHAT) for d in found):
        loan_weeks.rebuild(conn)


def custody_assets(conn: Connection) -> list[str]:
    """Every asset the ledger or the projection says anything about."""
    found = set(
        conn.scalars(
            select(t.ledger.c.asset)
            .where(t.ledger.c.type.in_(CUSTODY_TYPES), t.ledger.c.asset.is_not(None))
            .distinct()
        )
    )
    found |= set(conn.scalars(select(t.holdings.c.asset)))
    found |= set(conn.scalars(select(t.late_returns.c.asset).distinct()))
    found |= set(conn.scalars(select(t.conflicts.c.asset).where(t.conflicts.c.kind.in_(ANOMALIES))))
    registered = set(conn.scalars(select(t.assets.c.code)))
    return sorted(found & registered)


def _loan(h: Holding | None) -> str:
    if h is None:
        return "nobody"
    return f"{h.person} since {h.since:%Y-%m-%d %H:%M}, due {h.due:%Y-%m-%d %H:%M} ({h.event_id})"


def _pairs(items: dict[str, tuple[str, int]]) -> str:
    return ", ".join(f"{p} {m} min ({e})" for e, (p, m) in sorted(items.items())) or "none"


def _keys(items: set[tuple[str, str | None]]) -> str:
    return ", ".join(f"{k or 'unclassified'} ({e})" for e, k in sorted(items, key=str)) or "none"
