"""What the kiosk tells the hub about itself in its retained status: online or offline, and
while online its version, profile, outbox depth, replica version, uptime, what is not working,
whether its clock is synced and how many events wait too long for the hub's acknowledgement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk import __version__
from kiosk.app.health import DeviceHealth
from kiosk.app.settings import AppSettings
from kiosk.app.watches import OverdueAcks
from kiosk.clock import Clock
from kiosk.outbox import Outbox
from kiosk.replica import Replica
from wire import KioskState, KioskStatus


@dataclass
class StatusReport:
    """The link asks it for the status to publish (``report(state)``); uptime counts from
    when it was made."""

    settings: AppSettings
    clock: Clock
    outbox: Outbox
    replica: Replica
    health: DeviceHealth
    acks: OverdueAcks
    clock_synced: Callable[[], bool | None]
    started_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.started_at = self.clock.monotonic()

    def report(self, state: KioskState) -> KioskStatus:
        kiosk = self.settings.kiosk_id
        if state is KioskState.OFFLINE:
            return KioskStatus(kiosk=kiosk, state=state)
        return KioskStatus(
            kiosk=kiosk,
            state=state,
            at=self.clock.now(),
            version=__version__,
            profile=self.settings.session.profile.value,
            outbox=self.outbox.depth(),
            replica=self.replica.version,
            uptime_s=int(self.clock.monotonic() - self.started_at),
            faults=self.health.faults(),
            clock_synced=self.clock_synced(),
            acks_overdue=self.acks.count,
            acks_overdue_since=self.acks.since,
        )
