"""The writes of a re-derivation (hub.store.custody): per asset, what differs between what is
stored and what the fold says, added to a batch of statements (hub.store.writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, update

from hub.domain.custody import Custody, Holding, Order
from hub.domain.lifecycle import Status
from hub.store import schema as t
from hub.store.maintenance import ticket_values
from hub.store.writes import Writes

_MARK = t.custody_marks
_SETTLED = (Status.RETIRED.value, Status.DISPOSED.value)

SET_STATUS = (
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


def mark(
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


def holding(out: Writes, code: str, old: Holding | None, new: Holding | None) -> None:
    if old == new:
        return
    if new is None:
        out.add(_HOLDING_DELETE, key=code)
    elif old is None:
        out.add(_HOLDING_INSERT, asset=new.asset, **{c: getattr(new, c) for c in _HOLDING_COLUMNS})
    else:
        out.add(_HOLDING_UPDATE, key=code, **{c: getattr(new, c) for c in _HOLDING_COLUMNS})


def late(out: Writes, code: str, old: dict[str, Any], c: Custody) -> set[str]:
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


def problems(out: Writes, code: str, tickets: dict[str, Any], c: Custody, now: datetime) -> int:
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


def flags(
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


def status(stored: str, held: bool, open_tickets: int | None) -> str:
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
