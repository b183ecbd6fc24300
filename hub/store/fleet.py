"""The kiosk fleet's clocks: how far each kiosk's clock is from the hub's, and whether NTP set it.

The hub orders custody by the kiosks' own event times, so a kiosk whose clock is wrong (a Pi
that booted offline runs on fake-hwclock's saved time until NTP syncs) misorders custody
without any error. Measuring each kiosk's live status against the hub's clock makes it visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from hub.store.base import StoreBase
from hub.store.schema import kiosk_clock
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
