"""The managed list of cages (locations) and the cages each dashboard user is limited to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.errors import AlreadyExists, NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.schema import assets, kiosks, locations, stocktakes, user_cages, users

MAX_NAME = 100  # what assets.home and kiosks.location hold


@dataclass(frozen=True)
class Place:
    name: str
    assets: int  # assets whose home it is
    kiosks: int
    users: int  # dashboard users limited to it


class InUse(ValueError):
    """A location still named by assets, kiosks or users cannot be removed."""


def clean_name(name: str) -> str:
    """A location name as stored; ValueError says what is wrong with it."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("name: required")
    if len(name) > MAX_NAME:
        raise ValueError(f"name: at most {MAX_NAME} characters")
    return name


def ensure_locations(conn: Connection, names: Iterable[str | None], now: datetime) -> None:
    """Put places named elsewhere (a CLI command, an import) on the list if they are not."""
    rows = [{"name": n, "created_at": now} for n in sorted({n for n in names if n})]
    if not rows:
        return
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert_(locations).on_conflict_do_nothing(index_elements=["name"]), rows)


def limit_to(conn: Connection, username: str, cages: Iterable[str]) -> None:
    """Make ``cages`` the user's cages (none: every cage); NotFound names an unknown one."""
    wanted = sorted(set(cages))
    known = set(conn.scalars(select(locations.c.name).where(locations.c.name.in_(wanted))))
    if set(wanted) - known:
        raise NotFound(f"no location {sorted(set(wanted) - known)[0]!r}")
    conn.execute(delete(user_cages).where(user_cages.c.username == username))
    if wanted:
        conn.execute(insert(user_cages), [{"username": username, "location": w} for w in wanted])


class PlaceStore(StoreBase):
    def location_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(locations.c.name).order_by(locations.c.name)))

    def places(self) -> list[Place]:
        """Every location with what names it, by name."""

        def counts(column: ColumnElement[str | None]) -> dict[str, int]:
            q = select(column, func.count()).group_by(column)
            return {name: int(n) for name, n in conn.execute(q) if name}

        with self.engine.connect() as conn:
            homes = counts(assets.c.home)
            stands = counts(kiosks.c.location)
            limited = counts(user_cages.c.location)
            names = list(conn.scalars(select(locations.c.name).order_by(locations.c.name)))
        return [Place(n, homes.get(n, 0), stands.get(n, 0), limited.get(n, 0)) for n in names]

    def add_location(self, name: str, now: datetime, actor: str) -> str:
        name = clean_name(name)
        with self._tx() as conn:
            if conn.scalar(select(locations.c.name).where(locations.c.name == name)):
                raise AlreadyExists(f"there is a location {name!r} already")
            conn.execute(insert(locations).values(name=name, created_at=now))
            journal.audit(conn, now, actor, "location.add", name)
        return name

    def rename_location(self, old: str, new: str, now: datetime, actor: str) -> str:
        """Rename a location everywhere it is named: assets' homes and last places, kiosks,
        stocktakes and users' cages, in one transaction."""
        new = clean_name(new)
        with self._tx() as conn:
            found = conn.execute(
                select(locations.c.created_at).where(locations.c.name == old)
            ).first()
            if found is None:
                raise NotFound(f"no location {old!r}")
            if new == old:
                return new
            if conn.scalar(select(locations.c.name).where(locations.c.name == new)):
                raise AlreadyExists(f"there is a location {new!r} already")
            conn.execute(insert(locations).values(name=new, created_at=found.created_at))
            conn.execute(update(assets).where(assets.c.home == old).values(home=new))
            conn.execute(update(assets).where(assets.c.location == old).values(location=new))
            conn.execute(update(kiosks).where(kiosks.c.location == old).values(location=new))
            conn.execute(
                update(stocktakes).where(stocktakes.c.location == old).values(location=new)
            )
            conn.execute(
                update(user_cages).where(user_cages.c.location == old).values(location=new)
            )
            conn.execute(delete(locations).where(locations.c.name == old))
            journal.audit(conn, now, actor, "location.rename", old, f"to {new}")
        return new

    def remove_location(self, name: str, now: datetime, actor: str) -> None:
        """Take a location off the list; refused (InUse) while an asset's home, a kiosk or a
        user's cage names it."""
        with self._tx() as conn:
            if conn.scalar(select(locations.c.name).where(locations.c.name == name)) is None:
                raise NotFound(f"no location {name!r}")
            uses = {
                "asset": conn.scalar(
                    select(func.count()).select_from(assets).where(assets.c.home == name)
                ),
                "kiosk": conn.scalar(
                    select(func.count()).select_from(kiosks).where(kiosks.c.location == name)
                ),
                "user": conn.scalar(
                    select(func.count())
                    .select_from(user_cages)
                    .where(user_cages.c.location == name)
                ),
            }
            named = [f"{n} {what}{'s' if n != 1 else ''}" for what, n in uses.items() if n]
            if named:
                raise InUse(
                    f"{name} is still named by {', '.join(named)}: move them elsewhere first"
                )
            conn.execute(delete(locations).where(locations.c.name == name))
            journal.audit(conn, now, actor, "location.remove", name)

    def place_kiosk(self, kiosk: str, location: str | None, now: datetime, actor: str) -> None:
        """Say which cage a kiosk stands in (one on the list; None: none). Items returned
        there are moved there from then on."""
        with self._tx() as conn:
            if (
                location is not None
                and conn.scalar(select(locations.c.name).where(locations.c.name == location))
                is None
            ):
                raise NotFound(f"no location {location!r}")
            before = conn.execute(select(kiosks.c.location).where(kiosks.c.id == kiosk)).first()
            if before is None:
                raise NotFound(f"no kiosk {kiosk!r}")
            if before.location == location:
                return
            conn.execute(update(kiosks).where(kiosks.c.id == kiosk).values(location=location))
            journal.audit(
                conn, now, actor, "kiosk.location", kiosk, f"{before.location} to {location}"
            )

    # users' cages -------------------------------------------------------------------------

    def user_cages(self, username: str) -> frozenset[str]:
        """The cages a user is limited to; empty: every cage."""
        with self.engine.connect() as conn:
            return frozenset(
                conn.scalars(select(user_cages.c.location).where(user_cages.c.username == username))
            )

    def set_user_cages(
        self, username: str, cages: Iterable[str], now: datetime, actor: str
    ) -> None:
        """Limit a user to these cages (none: every cage)."""
        wanted = sorted(set(cages))
        with self._tx() as conn:
            if conn.scalar(select(users.c.username).where(users.c.username == username)) is None:
                raise NotFound(f"no user {username!r}")
            before = sorted(
                conn.scalars(select(user_cages.c.location).where(user_cages.c.username == username))
            )
            if before == wanted:
                return
            limit_to(conn, username, wanted)
            journal.audit(
                conn, now, actor, "user.cages", username, ", ".join(wanted) or "every cage"
            )
