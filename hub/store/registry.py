"""The asset registry: what each item is, where it lives, what it is worth; searched and listed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import AlreadyExists, NotFound
from hub.store import journal, loan_weeks, valuation
from hub.store.base import StoreBase
from hub.store.places import ensure_locations
from hub.store.schema import (
    asset_fields,
    assets,
    holdings,
    people,
)
from hub.store.valuation import ValuationTotals, Valued

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
class AssetListed:
    """An asset as a search lists it, with who holds it."""

    code: str
    name: str
    category: str
    status: str  # a hub.domain.lifecycle.Status value
    location: str | None
    home: str | None
    person: str | None
    person_name: str | None
    due: datetime | None


@dataclass(frozen=True)
class AssetRecord:
    """An asset with the columns a spreadsheet round trip carries (hub.sheets)."""

    code: str
    name: str
    category: str
    model: str | None
    manufacturer: str | None
    serial: str | None
    home: str | None
    value: Decimal | None
    photo_url: str | None
    notes: str | None
    acquired: date | None
    cost: Decimal | None
    supplier: str | None
    status: str  # a hub.domain.lifecycle.Status value
    kit: str | None
    fields: dict[str, str]  # its own fields, name to value


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


def asset_records(
    conn: Connection, after: str | None = None, limit: int | None = None
) -> list[AssetRecord]:
    """Assets in code order with the columns a spreadsheet round trip carries: all of them,
    or the ``limit`` after the code ``after``."""
    q = select(
        assets.c.code,
        assets.c.name,
        assets.c.category,
        *(assets.c[k] for k in ASSET_DETAILS if k != "location"),
        assets.c.status,
        assets.c.kit,
    ).order_by(assets.c.code)
    if after is not None:
        q = q.where(assets.c.code > after)
    rows = conn.execute(q.limit(limit)).all()
    own = own_fields(conn, (rows[0].code, rows[-1].code)) if rows else {}
    return [AssetRecord(**r._mapping, fields=own.get(r.code, {})) for r in rows]


class RegistryStore(StoreBase):
    # details -----------------------------------------------------------------------------
    def add_asset(
        self,
        /,
        code: str,
        name: str,
        category: str,
        kit: str | None = None,
        *,
        now: datetime | None = None,
        actor: str = "hub",
        **details: Any,
    ) -> None:
        """Register an asset; ``kit`` makes it a piece of that kit (another asset).

        ``details`` are the registry fields (serial, home, value, acquired, cost, supplier...);
        with ``now`` the acquisition goes in the ledger as the start of the asset's life.
        """
        try:
            with self._tx() as conn:
                self._insert_asset(conn, code, name, category, kit, details)
                if now is not None:
                    journal.acquired(conn, now, actor, code, details)
        except IntegrityError as exc:
            raise AlreadyExists(f"asset {code!r} exists") from exc

    def _insert_asset(
        self,
        conn: Connection,
        code: str,
        name: str,
        category: str,
        kit: str | None,
        details: dict[str, Any],
    ) -> None:
        if (
            kit is not None
            and conn.scalar(select(assets.c.code).where(assets.c.code == kit)) is None
        ):
            raise NotFound(f"no kit {kit!r}: add the kit itself first")
        if "location" not in details and details.get("home"):
            details = {**details, "location": details["home"]}
        ensure_locations(conn, (details.get("home"), details.get("location")), datetime.now(UTC))
        conn.execute(
            insert(assets).values(code=code, name=name, category=category, kit=kit, **details)
        )

    def update_asset(self, /, code: str, now: datetime, actor: str, **details: Any) -> None:
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
            journal.audit(conn, now, actor, "asset.update", code, changed)

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
    def search_assets(
        self,
        text: str = "",
        category: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        homes: Collection[str] | None = None,
    ) -> tuple[list[AssetListed], int]:
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
            rows = [AssetListed(*r) for r in conn.execute(q)]
            total = int(conn.scalar(count) or 0)
        return rows, total

    def category_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(assets.c.category).distinct().order_by("category")))

    # exports -----------------------------------------------------------------------------

    def asset_rows(self) -> list[AssetRecord]:
        """Every asset with the columns a spreadsheet round trip carries."""
        with self.engine.connect() as conn:
            return asset_records(conn)

    def asset_field_names(self) -> list[str]:
        """The names of the assets' own fields, sorted: the export's extra columns."""
        with self.engine.connect() as conn:
            q = select(asset_fields.c.name).distinct().order_by(asset_fields.c.name)
            return list(conn.scalars(q))
