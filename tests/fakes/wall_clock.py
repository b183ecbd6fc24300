"""A wall clock that moves only when a test says so."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeWallClock:
    """Implements kiosk.clock.Clock: ``now()`` and ``monotonic()`` advance together."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (forwards only, as a wall clock that a test drives)."""
        with self._lock:
            if moment < self._now:
                raise ValueError("the fake clock does not go backwards")
            self._mono += (moment - self._now).total_seconds()
            self._now = moment


class SkewedClock:
    """Another device's wall clock, ``offset`` away from ``base`` (negative: behind) and moving
    with it, as a kiosk whose clock was never set right; monotonic time is shared."""

    def __init__(self, base: FakeWallClock, offset: timedelta) -> None:
        self._base = base
        self.offset = offset

    def now(self) -> datetime:
        return self._base.now() + self.offset

    def monotonic(self) -> float:
        return self._base.monotonic()
