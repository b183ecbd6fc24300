"""The kiosk as a systemd service: readiness and watchdog notifications (``sd_notify(3)``).

The protocol is one datagram of ``KEY=value`` lines sent to the unix socket named in
``NOTIFY_SOCKET`` (a name starting with ``@`` is in the abstract namespace). It is a few lines,
so the kiosk speaks it itself rather than adding a dependency to the Pi's install: the small
libraries that wrap it add nothing the kiosk needs (the watchdog interval still has to be read
from ``WATCHDOG_USEC``) and the binding to libsystemd needs a compiler and headers on the Pi.

Notifications are best effort: outside systemd (a laptop, the tests) there is no socket and
every call does nothing, and a failed send is logged once, never raised.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class ServiceNotifier:
    """Tells systemd the kiosk is ready, and that its session loop is alive.

    ``alive`` is called on every pass of the session loop and sends ``WATCHDOG=1`` at most
    twice per watchdog period (as systemd recommends), so only a loop that keeps turning keeps
    the service from being restarted.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        # the abstract namespace: a leading NUL byte in place of the '@'
        self._address = "\0" + name[1:] if name.startswith("@") else name
        self._monotonic = monotonic
        self.watchdog_period = _watchdog_period(env)
        self._last_ping: float | None = None
        self._warned = False
        self._sock: socket.socket | None = None
        if self._address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.setblocking(False)  # the session loop must never wait on systemd

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def notify(self, *lines: str) -> bool:
        """Send one notification of ``KEY=value`` lines; False when it could not be sent."""
        if self._sock is None:
            return False
        try:
            self._sock.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("could not notify systemd at %r: %s", self._address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> None:
        self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> None:
        """A line for ``systemctl status`` (one line: newlines would start new keys)."""
        self.notify("STATUS=" + " ".join(text.split()))

    def alive(self) -> None:
        """The session loop went round once more: ping the watchdog when it is due."""
        if self.watchdog_period is None or self._sock is None:
            return
        now = self._monotonic()
        if self._last_ping is None or now - self._last_ping >= self.watchdog_period / 2:
            self._last_ping = now
            self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _watchdog_period(env: Mapping[str, str]) -> float | None:
    """Seconds systemd waits for a ping (``WatchdogSec``), or None when it does not watch us;
    ``WATCHDOG_PID``, when set, names the one process it watches."""
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid is not None and pid.strip() != str(os.getpid())):
        return None
    return usec / 1_000_000
