"""The asset and people registry beyond custody: details, lifecycle, maintenance, blocks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select, update

from hub.domain import lifecycle
from hub.domain.service import ServiceRule, service_due
from hub.domain.valuation import Depreciation, Method
from hub.errors import NotFound
from hub.store import loan_weeks, valuation
from hub.store.base import StoreBase
from hub.store.locks import lock
from hub.store.places import ensure_locations
from hub.store.schema import (
    asset_fields,
    assets,
    badges,
    categories,
    holdings,
    late_returns,
    people,
    tickets,
)
from hub.store.valuation import ValuationTotals, Valued

MAX_MONEY = Decimal("10000000000")  # what a Numeric(12, 2) column holds

ASSET_DETAILS = (
    "model",
    "manufacturer",
    "serial",
    "home",
    "location",
    "value",
    "photo_url",
    "notes",
    "acquired",
    "cost",
    "supplier",
)


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


def own_fields(conn: Connection, codes: tuple[str, str] | None) -> dict[str, dict[str, str]]:
    """Assets' own fields by code, name, value: all of them, or those of the codes from
    ``codes[0]`` to ``codes[1]`` (a range of the index, not a long list)."""
    q = select(asset_fields).order_by(asset_fields.c.asset, asset_fields.c.name)
    if codes is not None:
        q = q.where(asset_fields.c.asset >= codes[0], asset_fields.c.asset <= codes[1])
    found: dict[str, dict[str, str]] = {}
    for row in conn.execute(q):
        found.setdefault(row.asset, {})[row.name] = row.value
    return found


def service_reason(
    rule: ServiceRule,
    last_service: datetime | None,
    acquired: date | None,
    checkouts: int,
    now: datetime,
) -> str | None:
    """Why an item is due for service now (None: it is not): counted from its last service,
    or from the day it was acquired if it never had one."""
    since = last_service
    if since is None and acquired is not None:
        since = datetime.combine(acquired, datetime.min.time(), tzinfo=now.tzinfo)
    return service_due(rule, since, checkouts, now)


class RegistryStore(StoreBase):
    # details -----------------------------------------------------------------------------

    def update_asset(self, code: str, now: datetime, actor: str, **details: Any) -> None:
        """Change an asset's descriptive details (serial, home, value...); not its custody."""
        unknown = set(details) - set(ASSET_DETAILS) - {"name", "category"}
        if unknown:
            raise ValueError(f"not an asset detail: {', '.join(sorted(unknown))}")
        with self._tx() as conn:
            # the reports count an asset's loans in its category: moved with it
            held = loan_weeks.hold_categories(conn, [code] if "category" in details else [])
            done = conn.execute(update(assets).where(assets.c.code == code).values(**details))
            if done.rowcount == 0:
                raise NotFound(f"no asset {code!r}")
            ensure_locations(conn, (details.get("home"), details.get("location")), now)
            loan_weeks.follow_categories(conn, held)
            changed = ", ".join(f"{k}={v}" for k, v in sorted(details.items()))
            self._audit(conn, now, actor, "asset.update", code, changed)

    # lifecycle ---------------------------------------------------------------------------

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
            if action is lifecycle.Action.RETURN_TO_SERVICE and current == "maintenance":
                values.update(last_service=now, checkouts_since_service=0)
            conn.execute(update(assets).where(assets.c.code == code).values(**values))
            self._hub_event(
                conn, now, "lifecycle", code, actor=actor, reason=to.value, detail=reason
            )
            self._audit(conn, now, actor, f"asset.{action.value}", code, reason)
            # Maintenance is an open ticket: a loan that ends later, in whatever order its
            # events arrive, brings the item back to maintenance (hub.store.custody._status).
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

    def set_service_rule(
        self, category: str, every_days: int | None, every_checkouts: int | None
    ) -> None:
        self._category(category, service_days=every_days, service_checkouts=every_checkouts)

    def set_depreciation(
        self, category: str, method: Method, life_years: int, salvage_pct: int = 0
    ) -> None:
        Depreciation(method, life_years, salvage_pct)  # validates
        self._category(
            category,
            depreciation=method.value,
            life_years=life_years,
            salvage_pct=salvage_pct,
        )

    def _category(self, category: str, **values: Any) -> None:
        """Set some of a category's rules, making the category (24-hour loans) if it is new."""
        with self._tx() as conn:
            done = conn.execute(
                update(categories).where(categories.c.name == category).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(categories).values(**{"name": category, "amount": 24, **values})
                )

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
        if outcome not in ("repaired", "no_fault", "retired"):
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
            self._hub_event(
                conn,
                now,
                "maintenance",
                row.asset,
                actor=actor,
                reason=outcome,
                detail=detail,
                extra={"ticket": ticket, "cost": str(cost) if cost is not None else None},
            )
            self._audit(conn, now, actor, "ticket.close", row.asset, detail)
            if status == "maintenance" and not still_open:
                to = "retired" if outcome == "retired" else "available"
                conn.execute(
                    update(assets)
                    .where(assets.c.code == row.asset)
                    .values(status=to, last_service=now, checkouts_since_service=0)
                )
                self._hub_event(conn, now, "lifecycle", row.asset, actor=actor, reason=to)

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
        if row is None or row.status != "available":
            return False
        rule = ServiceRule(row.service_days, row.service_checkouts)
        why = service_reason(rule, row.last_service, row.acquired, row.checkouts_since_service, now)
        if why is None:
            return False
        self.hold_for_service(conn, code, now, why)
        return True

    def hold_for_service(self, conn: Connection, code: str, now: datetime, why: str) -> None:
        """Take a shelved item out of lending for its preventive service, with a ticket."""
        conn.execute(update(assets).where(assets.c.code == code).values(status="maintenance"))
        self._hub_event(conn, now, "lifecycle", code, actor="hub", reason="maintenance", detail=why)
        open_ticket(conn, now, code, "preventive", why)

    def hold_back_for_service(self, now: datetime) -> list[str]:
        """Items on the shelf whose service is due by days are held back, with a ticket."""
        with self._tx() as conn:
            codes = list(
                conn.scalars(
                    select(assets.c.code)
                    .select_from(assets.join(categories, categories.c.name == assets.c.category))
                    .where(assets.c.status == "available", categories.c.service_days.is_not(None))
                )
            )
            lock(conn, codes)  # all first, in code order: a kiosk's commit may be lending one
            held = []
            for code in codes:
                if self.check_service(conn, code, now):
                    held.append(code)
        return held

    # valuation ---------------------------------------------------------------------------

    def valuation(self, on: date) -> list[Valued]:
        """Every asset not disposed of, with its book value on ``on`` by its category's rule;
        an asset acquired after ``on`` was not owned yet and is left out."""
        with self.engine.connect() as conn:
            return valuation.listed(conn, on)

    def valuation_totals(self, on: date) -> ValuationTotals:
        """What the reports page shows of the valuation, without a record per asset."""
        with self.engine.connect() as conn:
            return valuation.totals(conn, on)

    # people ------------------------------------------------------------------------------

    def block_person(
        self, person: str, until: datetime | None, reason: str, now: datetime, actor: str
    ) -> None:
        """Stop a person borrowing (until a time, or until unblocked: ``until`` None)."""
        forever = datetime(9999, 1, 1, tzinfo=now.tzinfo)
        with self._tx() as conn:
            done = conn.execute(
                update(people)
                .where(people.c.id == person)
                .values(blocked_until=until or forever, blocked_reason=reason[:200])
            )
            if done.rowcount == 0:
                raise NotFound(f"no person {person!r}")
            self._audit(conn, now, actor, "person.block", person, reason)

    def unblock_person(self, person: str, now: datetime, actor: str) -> None:
        """Lift a block. The late returns so far are forgiven with it: otherwise the strikes
        that made a ban would make it again the next time custody is re-derived."""
        with self._tx() as conn:
            done = conn.execute(
                update(people)
                .where(people.c.id == person)
                .values(blocked_until=None, blocked_reason=None)
            )
            if done.rowcount == 0:
                raise NotFound(f"no person {person!r}")
            forgiven = conn.execute(
                update(late_returns)
                .where(late_returns.c.person == person, late_returns.c.forgiven.is_(False))
                .values(forgiven=True)
            ).rowcount
            detail = f"{forgiven} late returns forgiven" if forgiven else None
            self._audit(conn, now, actor, "person.unblock", person, detail)

    def search_assets(
        self,
        text: str = "",
        category: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        homes: Collection[str] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Assets matching a search (code, name, serial), with holder; and how many match.
        ``homes``: only assets whose home is one of these (None: any)."""
        where: list[ColumnElement[bool]] = []
        if homes is not None:
            where.append(assets.c.home.in_(sorted(homes)))
        if text:
            like = f"%{text.lower()}%"
            where.append(
                or_(
                    func.lower(assets.c.code).like(like),
                    func.lower(assets.c.name).like(like),
                    func.lower(assets.c.serial).like(like),
                )
            )
        if category:
            where.append(assets.c.category == category)
        if status:
            where.append(assets.c.status == status)
        cond = and_(*where) if where else None
        q = (
            select(
                assets.c.code,
                assets.c.name,
                assets.c.category,
                assets.c.status,
                assets.c.location,
                assets.c.home,
                holdings.c.person,
                people.c.name.label("person_name"),
                holdings.c.due,
            )
            .select_from(
                assets.outerjoin(holdings, holdings.c.asset == assets.c.code).outerjoin(
                    people, people.c.id == holdings.c.person
                )
            )
            .order_by(assets.c.code)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(assets)
        if cond is not None:
            q = q.where(cond)
            count = count.where(cond)
        with self.engine.connect() as conn:
            rows = [r._asdict() for r in conn.execute(q)]
            total = int(conn.scalar(count) or 0)
        return rows, total

    def category_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(assets.c.category).distinct().order_by("category")))

    # exports -----------------------------------------------------------------------------

    def asset_rows(self) -> list[dict[str, Any]]:
        """Every asset with the columns a spreadsheet round trip carries."""
        cols = [
            assets.c.code,
            assets.c.name,
            assets.c.category,
            *(assets.c[k] for k in ASSET_DETAILS if k != "location"),
            assets.c.status,
            assets.c.kit,
        ]
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(*cols).order_by(assets.c.code))]
            own = own_fields(conn, None)
        for row in rows:
            row["fields"] = own.get(row["code"], {})
        return rows

    def asset_field_names(self) -> list[str]:
        """The names of the assets' own fields, sorted: the export's extra columns."""
        with self.engine.connect() as conn:
            q = select(asset_fields.c.name).distinct().order_by(asset_fields.c.name)
            return list(conn.scalars(q))

    def person_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            owned: dict[str, list[str]] = {}
            for uid, person in conn.execute(
                select(badges.c.uid, badges.c.person_id)
                .where(badges.c.revoked.is_(False))
                .order_by(badges.c.uid)
            ):
                owned.setdefault(person, []).append(uid)
            return [
                {
                    "id": p.id,
                    "name": p.name,
                    "email": p.email,
                    "badges": owned.get(p.id, []),
                    "groups": [g for g in (p.groups or "").split(";") if g],
                    "staff": bool(p.staff),
                }
                for p in conn.execute(select(people).order_by(people.c.id))
            ]
