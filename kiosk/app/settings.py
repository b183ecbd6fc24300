"""What the kiosk application is told at start: who it is, where it keeps its data, and how
often its session loop does each of its rounds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.link import BrokerSettings
from kiosk.session import Settings


@dataclass(frozen=True)
class AppSettings:
    kiosk_id: str
    session: Settings
    data_dir: Path
    key: bytes
    broker: BrokerSettings | None
    poll_interval: float = 0.05
    tick_interval: float = 0.5
    status_interval: float = 30.0
    frame_stall_after: float = 10.0  # no frame from a running camera for this long: a fault
    ack_overdue_after: float = 300.0  # an event unacknowledged this long (hub reachable): warn
    ack_check_interval: float = 5.0
    retry_first: float = 1.0  # pause before opening a failed device again, doubling ...
    retry_max: float = 30.0  # ... up to this
