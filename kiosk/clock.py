"""Time as a dependency: the app reads it here, tests inject a fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC (for events and due times)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go backwards (for timeouts and debouncing)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
