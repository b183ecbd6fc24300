"""What the kiosk tells the hub about itself in its retained status: online or offline, and
while online its version, profile, outbox depth, replica version, uptime, what is not working,
whether its clock is synced and how many events wait too long for the hub's acknowledgement."""

from __future__ import annotations

from collections.abc import Callable

from kiosk import __version__
from kiosk.app.health import DeviceHealth
from kiosk.app.settings import AppSettings
from kiosk.app.watches import OverdueAcks
from kiosk.clock import Clock
from kiosk.outbox import Outbox
from kiosk.replica import Replica
from wire import KioskState, KioskStatus


class StatusReport:
    """The link asks it for the status to publish (``report(state)``); uptime counts from
    when it was made."""

    def __init__(
        self,
        settings: AppSettings,
        clock: Clock,
        outbox: Outbox,
        replica: Replica,
        health: DeviceHealth,
        acks: OverdueAcks,
        clock_synced: Callable[[], bool | None],
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._outbox = outbox
        self._replica = replica
        self._health = health
        self._acks = acks
        self._clock_synced = clock_synced
        self._started_at = clock.monotonic()

    def report(self, state: KioskState) -> KioskStatus:
        kiosk = self._settings.kiosk_id
        if state is KioskState.OFFLINE:
            return KioskStatus(kiosk=kiosk, state=state)
        return KioskStatus(
            kiosk=kiosk,
            state=state,
            at=self._clock.now(),
            version=__version__,
            profile=self._settings.session.profile.value,
            outbox=self._outbox.depth(),
            replica=self._replica.version,
            uptime_s=int(self._clock.monotonic() - self._started_at),
            faults=self._health.faults(),
            clock_synced=self._clock_synced(),
            acks_overdue=self._acks.count,
            acks_overdue_since=self._acks.since,
        )
