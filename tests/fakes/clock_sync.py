"""A clock-sync source that says what the test tells it, in place of systemd's timedatectl."""

from __future__ import annotations

import threading


class FakeClockSync:
    """Implements kiosk.timesync.ClockSync; counts how often it was asked."""

    def __init__(self, synced: bool | None = None) -> None:
        self._synced = synced
        self.asked = 0
        self._lock = threading.Lock()

    def synced(self) -> bool | None:
        with self._lock:
            self.asked += 1
            return self._synced

    def set(self, synced: bool | None) -> None:
        with self._lock:
            self._synced = synced
