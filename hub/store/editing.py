"""One person or one kit edited from the dashboard, each change audited in its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update

from hub.errors import AlreadyExists, NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.locks import chunks, lock
from hub.store.schema import assets, badges, bookings, people, tickets


class EditingStore(StoreBase):
    def save_person(
        self,
        person_id: str,
        now: datetime,
        actor: str,
        *,
        new: bool,
        name: str,
        email: str | None,
        groups: Sequence[str],
        staff: bool,
        badges_to_add: Sequence[str] = (),
    ) -> None:
        """Add a person (``new``) or change one's name, email, groups and staff flag; badges
        are only ever added here. AlreadyExists / NotFound say why nothing changed."""
        values = {
            "name": name,
            "email": email,
            "groups": ";".join(groups) or None,
            "staff": staff,
        }
        with self._tx() as conn:
            known = conn.scalar(select(people.c.id).where(people.c.id == person_id))
            if new and known is not None:
                raise AlreadyExists(f"there is a person {person_id!r} already")
            if not new and known is None:
                raise NotFound(f"no person {person_id!r}")
            if new:
                conn.execute(insert(people).values(id=person_id, active=True, **values))
            else:
                conn.execute(update(people).where(people.c.id == person_id).values(**values))
            for uid in badges_to_add:
                owner = conn.scalar(select(badges.c.person_id).where(badges.c.uid == uid))
                if owner is not None:
                    raise AlreadyExists(f"badge {uid} is registered to {owner} already")
                conn.execute(insert(badges).values(uid=uid, person_id=person_id))
            detail = ", ".join(f"{k}={v}" for k, v in values.items() if v not in (None, ""))
            if badges_to_add:
                detail += f", badges +{' +'.join(badges_to_add)}"
            journal.audit(
                conn, now, actor, "person.add" if new else "person.update", person_id, detail
            )

    def set_kit_pieces(self, kit: str, pieces: Sequence[str], now: datetime, actor: str) -> None:
        """Make exactly ``pieces`` the pieces of ``kit`` (an asset): listed ones join it,
        others leave it. A piece may belong to one kit and may not be a kit itself.
        ValueError / NotFound say what is wrong; nothing changes then."""
        wanted = sorted(set(pieces))
        if kit in wanted:
            raise ValueError(f"{kit} cannot be a piece of itself")
        with self._tx() as conn:
            rows = lock(conn, [kit, *wanted])  # a kiosk's commit may be lending one of them
            if kit not in rows:
                raise NotFound(f"no asset {kit!r}")
            missing = [c for c in wanted if c not in rows]
            if missing:
                raise NotFound(f"no asset {', '.join(missing)}")
            kit_of = {code: row.kit for code, row in rows.items()}
            if kit_of.get(kit):
                raise ValueError(f"{kit} is a piece of {kit_of[kit]}: a kit cannot be a piece")
            elsewhere = [c for c in wanted if kit_of.get(c) not in (None, kit)]
            if elsewhere:
                c = elsewhere[0]
                raise ValueError(f"{c} is a piece of {kit_of[c]}: take it out of that kit first")
            nested = list(
                conn.scalars(select(assets.c.kit).where(assets.c.kit.in_(wanted)).distinct())
            )
            if nested:
                raise ValueError(f"{nested[0]} is a kit itself: a kit cannot be a piece")
            before = sorted(conn.scalars(select(assets.c.code).where(assets.c.kit == kit)))
            if before == wanted:
                return
            gone = [c for c in before if c not in wanted]
            if gone:
                conn.execute(update(assets).where(assets.c.code.in_(gone)).values(kit=None))
            joined = [c for c in wanted if c not in before]
            if joined:
                conn.execute(update(assets).where(assets.c.code.in_(joined)).values(kit=kit))
            detail = ", ".join([*(f"+{c}" for c in joined), *(f"-{c}" for c in gone)])
            journal.audit(conn, now, actor, "kit.pieces", kit, detail)

    def asset_homes(self, codes: Iterable[str]) -> dict[str, str | None]:
        """The home cage of each of these assets that exists."""
        found: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for part in chunks(sorted(set(codes))):
                q = select(assets.c.code, assets.c.home).where(assets.c.code.in_(part))
                found.update({code: home for code, home in conn.execute(q)})
        return found

    def booking_asset(self, booking: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(bookings.c.asset).where(bookings.c.id == booking))

    def ticket_asset(self, ticket: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(tickets.c.asset).where(tickets.c.id == ticket))

    def asset_home(self, code: str) -> tuple[bool, str | None]:
        """Whether the asset exists, and its home cage."""
        with self.engine.connect() as conn:
            row = conn.execute(select(assets.c.home).where(assets.c.code == code)).first()
        return (False, None) if row is None else (True, row.home)
