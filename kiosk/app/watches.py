"""Two things the kiosk keeps an eye on for its status: whether NTP has set the wall clock, and
whether events wait too long for the hub's acknowledgement while the hub is reachable."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from kiosk.outbox import AckWatch
from kiosk.timesync import ClockSync

log = logging.getLogger(__name__)


class ClockWatch:
    """Whether the clock is synced (None: unknown), asked off the session thread whenever
    ``ask`` is called, since timedatectl may take a while; ``on_change`` hears each change."""

    def __init__(
        self, sync: ClockSync, stopping: threading.Event, on_change: Callable[[], None]
    ) -> None:
        self._sync = sync
        self._stopping = stopping
        self._on_change = on_change
        self._asked = threading.Event()
        self.synced: bool | None = None

    def ask(self) -> None:
        """Ask again (from any thread); ``run`` answers."""
        self._asked.set()

    def run(self) -> None:
        """The watch's thread: answers each ``ask`` until the kiosk stops."""
        while True:
            self._asked.wait()
            self._asked.clear()
            if self._stopping.is_set():
                return
            self.check()

    def check(self) -> None:
        """Ask now; tell at once when the clock becomes synced (or stops being)."""
        try:
            synced = self._sync.synced()
        except Exception:
            log.exception("could not tell whether the clock is synced")
            synced = None
        if synced == self.synced:
            return
        self.synced = synced
        if synced is False:
            log.warning("the clock is not synchronised (NTP); event times may be wrong")
        else:
            log.info("clock synchronised: %s", "yes" if synced else "unknown")
        self._on_change()


class OverdueAcks:
    """How many events have waited over ``after`` seconds for the hub's acknowledgement while
    the hub was reachable, and since when."""

    def __init__(self, after: float) -> None:
        self.after = after
        self._watch = AckWatch(after)
        self.count = 0
        self.since: datetime | None = None

    def check(self, waiting: list[tuple[int, datetime]], reachable: bool, now: float) -> bool:
        """Look again; True when the count changed (it is logged)."""
        count, oldest = self._watch.check(waiting, reachable, now)
        changed = count != self.count
        self.count, self.since = count, oldest
        if not changed:
            return False
        if count:
            log.warning(
                "%d event(s) unacknowledged for over %.0f s while the hub was reachable "
                "(oldest recorded %s): is the kiosk's signing key the one the hub holds?",
                count,
                self.after,
                oldest.isoformat() if oldest else "?",
            )
        else:
            log.info("every event the hub was sent is acknowledged again")
        return True
