"""Stocktakes ("counts" to the people doing them): staff scan a location's shelves at a kiosk;
what was expected and not seen, and what was seen away from its home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, insert, or_, select, update

from hub.domain.lifecycle import Status
from hub.errors import NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.schema import assets, kiosks, stocktake_items, stocktakes

# Items that should be on a shelf: not out on loan, not gone.
SHELVED = (Status.AVAILABLE.value, Status.MAINTENANCE.value)


@dataclass(frozen=True)
class Stocktake:
    id: int
    location: str
    started_at: datetime
    started_by: str
    closed_at: datetime | None


@dataclass(frozen=True)
class CountedItem:
    """An item on a stocktake's report: when it was scanned in this count (seen), or when it
    was last seen anywhere (missing)."""

    code: str
    name: str
    category: str
    status: str
    home: str | None
    last_seen: datetime | None


@dataclass(frozen=True)
class StocktakeReport:
    stocktake: Stocktake
    seen: list[CountedItem]
    missing: list[CountedItem]  # expected here and not seen since the count began

    @property
    def away(self) -> list[CountedItem]:
        """Seen here though their home is another location: to take home, or to re-home."""
        here = self.stocktake.location
        return [r for r in self.seen if r.home is not None and r.home != here]


class StocktakeStore(StoreBase):
    def locations(self) -> list[str]:
        """Where kiosks stand and where assets live: the places a stocktake can cover."""
        with self.engine.connect() as conn:
            found = set(
                conn.scalars(select(kiosks.c.location).where(kiosks.c.location.is_not(None)))
            )
            found |= set(
                conn.scalars(select(assets.c.home).where(assets.c.home.is_not(None)).distinct())
            )
        return sorted(found)

    def start_stocktake(self, location: str, by: str, now: datetime) -> int:
        with self._tx() as conn:
            result = conn.execute(
                insert(stocktakes).values(location=location, started_at=now, started_by=by)
            )
            number = int(result.inserted_primary_key[0])  # type: ignore[index]
            journal.audit(conn, now, by, "stocktake.start", location, f"#{number}")
        return number

    def close_stocktake(self, number: int, by: str, now: datetime) -> None:
        """End the count and keep what was missing then, so the report stays as it was."""
        with self._tx() as conn:
            done = conn.execute(
                update(stocktakes)
                .where(stocktakes.c.id == number, stocktakes.c.closed_at.is_(None))
                .values(closed_at=now)
            )
            if done.rowcount == 0:
                raise NotFound(f"no open stocktake {number}")
            location = conn.scalar(select(stocktakes.c.location).where(stocktakes.c.id == number))
            for code in conn.scalars(self._missing(number, str(location))):
                conn.execute(insert(stocktake_items).values(stocktake=number, asset=code))
            journal.audit(conn, now, by, "stocktake.close", str(number))

    def _missing(self, number: int, location: str) -> Select[tuple[str]]:
        """Shelved items whose place is ``location`` (or whose home is, if never placed) not
        scanned in this count."""
        here = or_(
            assets.c.location == location,
            and_(assets.c.location.is_(None), assets.c.home == location),
        )
        scanned = select(stocktake_items.c.asset).where(stocktake_items.c.stocktake == number)
        return (
            select(assets.c.code)
            .where(here, assets.c.status.in_(SHELVED), assets.c.code.not_in(scanned))
            .order_by(assets.c.code)
        )

    def stocktakes(self, limit: int = 50) -> list[Stocktake]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(stocktakes).order_by(stocktakes.c.id.desc()).limit(limit)
            ).all()
        return [Stocktake(*tuple(r)) for r in rows]

    def stocktake_report(self, number: int) -> StocktakeReport:
        """Seen: scanned in this count. Missing: expected at the location and not scanned;
        live while counting, fixed when the count was closed."""
        with self.engine.connect() as conn:
            row = conn.execute(select(stocktakes).where(stocktakes.c.id == number)).first()
            if row is None:
                raise NotFound(f"no stocktake {number}")
            take = Stocktake(*tuple(row))
            cols = (assets.c.code, assets.c.name, assets.c.category, assets.c.status)
            items = stocktake_items.join(assets, assets.c.code == stocktake_items.c.asset)
            seen = conn.execute(
                select(*cols, assets.c.home, stocktake_items.c.seen_at.label("last_seen"))
                .select_from(items)
                .where(
                    stocktake_items.c.stocktake == number, stocktake_items.c.seen_at.is_not(None)
                )
                .order_by(assets.c.code)
            ).all()
            if take.closed_at is None:
                codes = list(conn.scalars(self._missing(number, take.location)))
            else:
                codes = list(
                    conn.scalars(
                        select(stocktake_items.c.asset).where(
                            stocktake_items.c.stocktake == number,
                            stocktake_items.c.seen_at.is_(None),
                        )
                    )
                )
            missing = sorted(
                (
                    row
                    for part in chunks(sorted(str(c) for c in codes))
                    for row in conn.execute(
                        select(*cols, assets.c.home, assets.c.last_seen).where(
                            assets.c.code.in_(part)
                        )
                    )
                ),
                key=lambda r: str(r.code),
            )
        return StocktakeReport(
            take, [CountedItem(*tuple(r)) for r in seen], [CountedItem(*tuple(r)) for r in missing]
        )
