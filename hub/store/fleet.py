"""The kiosk fleet: kiosks registered with their signing keys, their latest status, and their
clocks: how far each kiosk's clock is from the hub's, and whether NTP set it.

The hub orders custody by the kiosks' own event times, so a kiosk whose clock is wrong (a Pi
that booted offline runs on fake-hwclock's saved time until NTP syncs) misorders custody
without any error. Measuring each kiosk's live status against the hub's clock makes it visible.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import AlreadyExists
from hub.store.base import StoreBase
from hub.store.places import ensure_locations
from hub.store.schema import kiosk_clock, kiosk_status, kiosks
from wire import KioskState, KioskStatus

# More than this between a kiosk's clock and the hub's is shown on the dashboard: far above
# the broker's delivery time, well below what misorders a checkout and its return.
CLOCK_SKEW_LIMIT = timedelta(minutes=2)


@dataclass(frozen=True)
class KioskClock:
    kiosk: str
    offset_s: float  # the kiosk's clock minus the hub's: negative when the kiosk is behind
    synced: bool | None  # what the kiosk said about NTP; None: it cannot tell
    measured_at: datetime  # by the hub's clock

    @property
    def skewed(self) -> bool:
        return abs(self.offset_s) > CLOCK_SKEW_LIMIT.total_seconds()

    def notes(self) -> list[str]:
        """What a manager should know about this clock, in words; empty when it is fine."""
        found = []
        if self.skewed:
            way = "ahead" if self.offset_s > 0 else "behind"
            found.append(f"clock {_amount(abs(self.offset_s))} {way}")
        if self.synced is False:
            found.append("clock not synchronised")
        return found


def _amount(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 180:
        return f"{minutes} min"
    hours = round(seconds / 3600)
    if hours < 72:
        return f"{hours} h"
    return f"{round(seconds / 86400)} days"


class FleetStore(StoreBase):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kiosks: dict[str, tuple[bytes, datetime]] = {}  # key, registered at

    def add_kiosk(
        self,
        kiosk_id: str,
        name: str,
        now: datetime,
        key: bytes | None = None,
        location: str | None = None,
    ) -> bytes:
        """Register a kiosk and return its signing key (made here unless given).

        ``location`` is the cage it stands in: items returned there are moved there.
        """
        key = key if key is not None else secrets.token_bytes(32)
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(kiosks).values(
                        id=kiosk_id, name=name, hmac_key=key, created_at=now, location=location
                    )
                )
                ensure_locations(conn, (location,), now)
        except IntegrityError as exc:
            raise AlreadyExists(f"kiosk {kiosk_id!r} exists") from exc
        self._kiosks[kiosk_id] = (key, now)
        return key

    def kiosk_key(self, kiosk_id: str) -> bytes | None:
        found = self._kiosk(kiosk_id)
        return found[0] if found else None

    def kiosk_registered_at(self, kiosk_id: str) -> datetime | None:
        """When the kiosk was registered (its key made then), so ingest can refuse events
        dated before."""
        found = self._kiosk(kiosk_id)
        return found[1] if found else None

    def _kiosk(self, kiosk_id: str) -> tuple[bytes, datetime] | None:
        """A kiosk's signing key and registration time, cached: ingest asks for every event."""
        found = self._kiosks.get(kiosk_id)
        if found is None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(kiosks.c.hmac_key, kiosks.c.created_at).where(kiosks.c.id == kiosk_id)
                ).first()
            if row is not None:
                found = self._kiosks[kiosk_id] = (row.hmac_key, row.created_at)
        return found

    def record_status(
        self, status: KioskStatus, raw: str, now: datetime, *, live: bool = True
    ) -> None:
        """Keep a kiosk's latest status; a ``live`` one (not the broker's retained copy, which
        may be old) also measures the kiosk's clock against ``now``, the time of receipt."""
        with self._tx() as conn:
            if live:
                self._record_clock(conn, status, now)
            done = conn.execute(
                update(kiosk_status)
                .where(kiosk_status.c.kiosk == status.kiosk)
                .values(state=status.state.value, updated_at=now, payload=raw)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(kiosk_status).values(
                        kiosk=status.kiosk, state=status.state.value, updated_at=now, payload=raw
                    )
                )

    def _record_clock(self, conn: Connection, status: KioskStatus, received: datetime) -> None:
        """Measure the kiosk's clock from an online status that has just been made (not a
        retained copy, whose ``at`` may be hours old), in the caller's transaction."""
        if status.state is not KioskState.ONLINE or status.at is None:
            return
        values = {
            "offset_ms": round((status.at - received).total_seconds() * 1000),
            "synced": status.clock_synced,
            "measured_at": received,
        }
        done = conn.execute(
            update(kiosk_clock).where(kiosk_clock.c.kiosk == status.kiosk).values(**values)
        )
        if done.rowcount == 0:
            conn.execute(insert(kiosk_clock).values(kiosk=status.kiosk, **values))

    def kiosk_clocks(self) -> dict[str, KioskClock]:
        """The last measurement of every kiosk's clock, whether or not it is online now."""
        q = select(
            kiosk_clock.c.kiosk,
            kiosk_clock.c.offset_ms,
            kiosk_clock.c.synced,
            kiosk_clock.c.measured_at,
        )
        with self.engine.connect() as conn:
            return {
                row.kiosk: KioskClock(row.kiosk, row.offset_ms / 1000, row.synced, row.measured_at)
                for row in conn.execute(q)
            }
