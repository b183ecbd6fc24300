"""Maintenance: lifecycle moves, repair tickets and preventive service holds. Every status
change goes through hub.domain.lifecycle.move, and is written to the ledger and audited in
the transaction that makes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hub.domain import lifecycle
from hub.domain.lifecycle import Action, Status
from hub.domain.service import ServiceRule, service_reason
from hub.errors import NotFound
from hub.store.base import StoreBase
from hub.store.journal import audit, hub_event
from hub.store.locks import lock
from hub.store.schema import assets, categories, tickets

MAX_MONEY = Decimal("10000000000")  # what a Numeric(12, 2) column holds
# how a repair ticket may end, and the lifecycle step its asset takes when it was the last open
OUTCOMES = {"repaired": Action.RETURN_TO_SERVICE, "no_fault": Action.RETURN_TO_SERVICE}
OUTCOMES["retired"] = Action.RETIRE


@dataclass(frozen=True)
class Ticket:
    id: int
    asset: str
    asset_name: str
    opened_at: datetime
    kind: str
    person: str | None
    detail: str | None
    closed_at: datetime | None
    outcome: str | None
    cost: Decimal | None
    note: str | None
    loan_event_id: str | None


def open_ticket(
    conn: Connection, now: datetime, asset: str, kind: str, detail: str | None, **who: str | None
) -> None:
    """A maintenance ticket: a manager's, a preventive hold, or a return's problem report
    (``who``: see ``ticket_values``)."""
    conn.execute(insert(tickets).values(**ticket_values(now, asset, kind, detail, **who)))


def ticket_values(
    now: datetime,
    asset: str,
    kind: str,
    detail: str | None,
    *,
    person: str | None = None,
    event_id: str | None = None,
    loan_event_id: str | None = None,
) -> dict[str, Any]:
    """A new ticket's row (for one insert, or many at once): for a return's problem report,
    who returned the item (``person``), that return (``event_id``) and the checkout it ended
    (``loan_event_id``)."""
    return {
        "asset": asset,
        "opened_at": now,
        "kind": kind,
        "person": person,
        "event_id": event_id,
        "loan_event_id": loan_event_id,
        "detail": (detail or "")[:500] or None,
    }


def hold_for_service(
    conn: Connection,
    code: str,
    now: datetime,
    why: str,
    current: Status = Status.AVAILABLE,
) -> None:
    """Take a shelved item out of lending for its preventive service, with a ticket."""
    to = lifecycle.move(current, Action.MAINTENANCE)
    conn.execute(update(assets).where(assets.c.code == code).values(status=to.value))
    hub_event(conn, now, "lifecycle", code, actor="hub", reason=to.value, detail=why)
    open_ticket(conn, now, code, "preventive", why)


class Maintenance(StoreBase):
    def move_asset(
        self,
        code: str,
        action: lifecycle.Action,
        now: datetime,
        actor: str,
        reason: str | None = None,
    ) -> lifecycle.Status:
        """One lifecycle step (to maintenance, back in service, retire, dispose), in the ledger.

        Raises LifecycleError when the step is not allowed from the current status.
        """
        if action is lifecycle.Action.DISPOSE and not reason:
            raise lifecycle.LifecycleError("say why the item is disposed of (sold, scrapped...)")
        with self._tx() as conn:
            row = lock(conn, [code]).get(code)  # a kiosk's commit may be lending it now
            if row is None:
                raise NotFound(f"no asset {code!r}")
            current = row.status
            to = lifecycle.move(current, action)
            values: dict[str, Any] = {"status": to.value}
            if action is lifecycle.Action.DISPOSE:
                values["disposed_reason"] = reason
            if action is Action.RETURN_TO_SERVICE and current == Status.MAINTENANCE:
                values.update(last_service=now, checkouts_since_service=0)
            conn.execute(update(assets).where(assets.c.code == code).values(**values))
            hub_event(conn, now, "lifecycle", code, actor=actor, reason=to.value, detail=reason)
            audit(conn, now, actor, f"asset.{action.value}", code, reason)
            # Maintenance is an open ticket: a loan that ends later, in whatever order its
            # events arrive, brings the item back to maintenance (hub.store.custody_writes.status).
            if action is lifecycle.Action.MAINTENANCE:
                open_ticket(conn, now, code, "manual", f"{reason or 'no reason'} (by {actor})")
            elif action is lifecycle.Action.RETURN_TO_SERVICE:
                conn.execute(
                    update(tickets)
                    .where(tickets.c.asset == code, tickets.c.closed_at.is_(None))
                    .values(closed_at=now, outcome="repaired", note=f"back in service ({actor})")
                )
        return to

    # maintenance -------------------------------------------------------------------------

    def report_problem(self, code: str, detail: str, now: datetime, actor: str) -> None:
        """A manager sends an item to maintenance with a ticket saying why."""
        self.move_asset(code, lifecycle.Action.MAINTENANCE, now, actor, detail)

    def close_ticket(
        self,
        ticket: int,
        outcome: str,
        now: datetime,
        actor: str,
        cost: Decimal | None = None,
        note: str | None = None,
    ) -> None:
        """Close a repair: repaired items go back in service, others may be retired."""
        if outcome not in OUTCOMES:
            raise ValueError("outcome: repaired, no_fault or retired")
        if cost is not None and not (cost.is_finite() and 0 <= cost < MAX_MONEY):
            raise ValueError("cost: an amount from 0 to 9,999,999,999.99")
        with self._tx() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket)).first()
            if row is None:
                raise NotFound(f"no ticket {ticket}")
            if row.closed_at is not None:
                raise ValueError(f"ticket {ticket} is closed already")
            conn.execute(
                update(tickets)
                .where(tickets.c.id == ticket)
                .values(closed_at=now, outcome=outcome, cost=cost, note=note)
            )
            still_open = conn.scalar(
                select(func.count())
                .select_from(tickets)
                .where(tickets.c.asset == row.asset, tickets.c.closed_at.is_(None))
            )
            status = lock(conn, [row.asset])[row.asset].status
            detail = f"ticket {ticket}: {outcome}" + (f", cost {cost}" if cost else "")
            hub_event(
                conn,
                now,
                "maintenance",
                row.asset,
                actor=actor,
                reason=outcome,
                detail=detail,
                extra={"ticket": ticket, "cost": str(cost) if cost is not None else None},
            )
            audit(conn, now, actor, "ticket.close", row.asset, detail)
            if status == Status.MAINTENANCE and not still_open:
                to = lifecycle.move(status, OUTCOMES[outcome])
                conn.execute(
                    update(assets)
                    .where(assets.c.code == row.asset)
                    .values(status=to.value, last_service=now, checkouts_since_service=0)
                )
                hub_event(conn, now, "lifecycle", row.asset, actor=actor, reason=to.value)

    def tickets(self, open_only: bool = True, asset: str | None = None) -> list[Ticket]:
        q = (
            select(
                tickets.c.id,
                tickets.c.asset,
                assets.c.name,
                tickets.c.opened_at,
                tickets.c.kind,
                tickets.c.person,
                tickets.c.detail,
                tickets.c.closed_at,
                tickets.c.outcome,
                tickets.c.cost,
                tickets.c.note,
                tickets.c.loan_event_id,
            )
            .select_from(tickets.join(assets, assets.c.code == tickets.c.asset))
            .order_by(tickets.c.opened_at.desc(), tickets.c.id.desc())
        )
        if open_only:
            q = q.where(tickets.c.closed_at.is_(None))
        if asset is not None:
            q = q.where(tickets.c.asset == asset)
        with self.engine.connect() as conn:
            return [Ticket(*tuple(r)) for r in conn.execute(q)]

    def maintenance_cost(self) -> list[tuple[str, Decimal, int]]:
        """Repair cost and ticket count per category, dearest first."""
        q = (
            select(assets.c.category, func.sum(tickets.c.cost), func.count())
            .select_from(tickets.join(assets, assets.c.code == tickets.c.asset))
            .group_by(assets.c.category)
            .order_by(func.sum(tickets.c.cost).desc())
        )
        with self.engine.connect() as conn:
            return [(c, Decimal(s or 0), int(n)) for c, s, n in conn.execute(q)]

    def check_service(self, conn: Connection, code: str, now: datetime) -> bool:
        """After a return: an item due for preventive service is held back with a ticket.
        The caller has locked the asset's row (see hub.store.locks). Whether it was held."""
        row = conn.execute(
            select(
                assets.c.status,
                assets.c.last_service,
                assets.c.acquired,
                assets.c.checkouts_since_service,
                categories.c.service_days,
                categories.c.service_checkouts,
            )
            .select_from(assets.outerjoin(categories, categories.c.name == assets.c.category))
            .where(assets.c.code == code)
        ).first()
        if row is None or row.status != Status.AVAILABLE:
            return False
        rule = ServiceRule(row.service_days, row.service_checkouts)
        why = service_reason(rule, row.last_service, row.acquired, row.checkouts_since_service, now)
        if why is None:
            return False
        hold_for_service(conn, code, now, why, Status(row.status))
        return True

    def hold_back_for_service(self, now: datetime) -> list[str]:
        """Items on the shelf whose service is due by days are held back, with a ticket."""
        with self._tx() as conn:
            codes = list(
                conn.scalars(
                    select(assets.c.code)
                    .select_from(assets.join(categories, categories.c.name == assets.c.category))
                    .where(
                        assets.c.status == Status.AVAILABLE.value,
                        categories.c.service_days.is_not(None),
                    )
                )
            )
            lock(conn, codes)  # all first, in code order: a kiosk's commit may be lending one
            held = []
            for code in codes:
                if self.check_service(conn, code, now):
                    held.append(code)
        return held
