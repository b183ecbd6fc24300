"""Stocktakes: staff scan a location's shelves at a kiosk; what was expected and not seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from hub.errors import NotFound
from hub.store.base import StoreBase
from hub.store.schema import assets, kiosks, stocktakes

# Items that should be on a shelf: not out on loan, not gone.
SHELVED = ("available", "maintenance")


@dataclass(frozen=True)
class Stocktake:
    id: int
    location: str
    started_at: datetime
    started_by: str
    closed_at: datetime | None


@dataclass(frozen=True)
class StocktakeReport:
    stocktake: Stocktake
    seen: list[dict[str, Any]]
    missing: list[dict[str, Any]]  # expected here and not seen since the count began


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
            self._audit(conn, now, by, "stocktake.start", location, f"#{number}")
        return number

    def close_stocktake(self, number: int, by: str, now: datetime) -> None:
        with self._tx() as conn:
            done = conn.execute(
                update(stocktakes)
                .where(stocktakes.c.id == number, stocktakes.c.closed_at.is_(None))
                .values(closed_at=now)
            )
            if done.rowcount == 0:
                raise NotFound(f"no open stocktake {number}")
            self._audit(conn, now, by, "stocktake.close", str(number))

    def stocktakes(self, limit: int = 50) -> list[Stocktake]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(stocktakes).order_by(stocktakes.c.id.desc()).limit(limit)
            ).all()
        return [Stocktake(*tuple(r)) for r in rows]

    def stocktake_report(self, number: int) -> StocktakeReport:
        """Seen: scanned at this location since the count began (until it closed). Missing:
        shelved items whose place is this location (or whose home is, if never placed) that
        were not."""
        with self.engine.connect() as conn:
            row = conn.execute(select(stocktakes).where(stocktakes.c.id == number)).first()
            if row is None:
                raise NotFound(f"no stocktake {number}")
            take = Stocktake(*tuple(row))
            seen_since = assets.c.last_seen >= take.started_at
            if take.closed_at is not None:
                seen_since = and_(seen_since, assets.c.last_seen <= take.closed_at)
            cols = (
                assets.c.code,
                assets.c.name,
                assets.c.category,
                assets.c.status,
                assets.c.last_seen,
            )
            here = or_(
                assets.c.location == take.location,
                and_(assets.c.location.is_(None), assets.c.home == take.location),
            )
            seen = conn.execute(select(*cols).where(here, seen_since).order_by(assets.c.code)).all()
            missing = conn.execute(
                select(*cols)
                .where(
                    here,
                    assets.c.status.in_(SHELVED),
                    or_(assets.c.last_seen.is_(None), ~seen_since),
                )
                .order_by(assets.c.code)
            ).all()
        return StocktakeReport(
            take, [dict(r._mapping) for r in seen], [dict(r._mapping) for r in missing]
        )
