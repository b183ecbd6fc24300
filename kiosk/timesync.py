"""Whether the kiosk's wall clock can be trusted.

A Raspberry Pi has no battery-backed clock: after a boot without network, fake-hwclock restores
the last saved time and the kiosk stamps its events in the past until NTP syncs. The hub orders
custody by those stamps, so the kiosk says in its status and events whether its clock is synced.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

TIMEDATECTL = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")


class ClockSync(Protocol):
    def synced(self) -> bool | None:
        """True once NTP has set the clock, False while it has not, None when nobody can say."""
        ...


class TimedatectlSync:
    """Asks systemd, through ``timedatectl``, whether NTP has synchronised the clock.

    The answer is kept for ``cache_for`` seconds, since timedatectl goes over D-Bus and is slow
    on a small Pi. No timedatectl (a laptop, a container), no systemd, a reply that is not
    ``yes``/``no`` or no reply within ``timeout`` seconds all mean unknown (None).
    """

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        cache_for: float = 30.0,
        timeout: float = 2.0,
        command: Sequence[str] = TIMEDATECTL,
    ) -> None:
        self._monotonic = monotonic
        self._cache_for = cache_for
        self._timeout = timeout
        self._command = list(command)
        self._lock = threading.Lock()
        self._asked_at: float | None = None
        self._answer: bool | None = None

    def synced(self) -> bool | None:
        now = self._monotonic()
        with self._lock:
            if self._asked_at is not None and now - self._asked_at < self._cache_for:
                return self._answer
        answer = self._ask()
        with self._lock:
            self._asked_at, self._answer = now, answer
        return answer

    def _ask(self) -> bool | None:
        try:
            done = subprocess.run(
                self._command,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError:
            return None  # no systemd tools here: the clock's state is unknown
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("could not ask timedatectl whether the clock is synced: %s", exc)
            return None
        if done.returncode != 0:
            log.debug("timedatectl failed (%s): %s", done.returncode, done.stderr.strip())
            return None
        return {"yes": True, "no": False}.get(done.stdout.strip())
