"""Staff door PINs in the registry: set (as a hash, never the PIN) and cleared, each audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from hub.errors import NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.schema import people
from wire.pins import usable


class NotStaff(ValueError):
    """Only staff open the door, so only staff have a PIN."""


class PinStore(StoreBase):
    def set_pin(self, person: str, pin_hash: str, now: datetime, actor: str) -> None:
        """Give a staff member a new door PIN (``pin_hash`` from ``wire.pins.hash_pin``); the
        replica takes it to every kiosk."""
        if not usable(pin_hash):
            raise ValueError("not a PIN hash kiosks can check")
        with self._tx() as conn:
            staff = conn.scalar(select(people.c.staff).where(people.c.id == person))
            if staff is None:
                raise NotFound(f"no person {person!r}")
            if not staff:
                raise NotStaff(f"{person} is not staff: only staff open the door with a PIN")
            conn.execute(update(people).where(people.c.id == person).values(pin_hash=pin_hash))
            journal.audit(conn, now, actor, "person.pin.set", person)

    def clear_pin(self, person: str, now: datetime, actor: str) -> bool:
        """Take a person's PIN away (a kiosk requiring one then opens the door for them no
        more); whether they had one."""
        with self._tx() as conn:
            had = conn.execute(select(people.c.pin_hash).where(people.c.id == person)).one_or_none()
            if had is None:
                raise NotFound(f"no person {person!r}")
            conn.execute(update(people).where(people.c.id == person).values(pin_hash=None))
            journal.audit(conn, now, actor, "person.pin.clear", person)
        return had.pin_hash is not None

    def has_pin(self, person: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(people.c.pin_hash).where(people.c.id == person)).one_or_none()
        if row is None:
            raise NotFound(f"no person {person!r}")
        return row.pin_hash is not None
