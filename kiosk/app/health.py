"""Which of the kiosk's devices fail, and how: noted by the threads that pump them, told to the
session (so the screen says so) and to the hub (in the kiosk's status) at each change."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.errors import DriverError
from kiosk.session import Device

log = logging.getLogger(__name__)

DEVICE_NAMES = {Device.READER: "badge reader", Device.CAMERA: "camera"}


class Backoff:
    """The pause before trying a failed device again: doubling from ``first`` to ``limit``."""

    def __init__(self, first: float, limit: float) -> None:
        self.first, self.limit = first, limit
        self._next = first

    def next(self) -> float:
        pause, self._next = self._next, min(self._next * 2, self.limit)
        return pause

    def reset(self) -> None:
        self._next = self.first


def problem(exc: BaseException) -> str:
    """A short technical description of a device failure, for the screen and the status."""
    if isinstance(exc, DriverError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class DeviceHealth:
    """The devices that never started (``startup_faults``, by name, as the device builder
    found them) and the reader or camera failing now. ``on_change`` hears each device going
    from working to failing and back; ``publish`` hears every new list of faults."""

    def __init__(
        self,
        startup_faults: dict[str, str],
        on_change: Callable[[Device, str | None], None],
        publish: Callable[[list[str]], None],
    ) -> None:
        self._startup = startup_faults
        self._on_change = on_change
        self._publish = publish
        self._lock = threading.Lock()
        self._troubles: dict[Device, str] = {}  # devices failing now, and how
        self._reported: list[str] = []

    def faults(self) -> list[str]:
        """What is not working, for the hub's kiosk page: devices that never started, and a
        reader or camera that is failing now (and how)."""
        with self._lock:
            found = [f"{what}: {why}" for what, why in self._startup.items()]
            found += [f"{DEVICE_NAMES[d]}: {why}" for d, why in self._troubles.items()]
        return [fault[:200] for fault in found[:10]]

    def failed(self, device: Device, exc: BaseException) -> None:
        """Log and report a device thread's failure; never raises, so the thread goes on."""
        try:
            name = DEVICE_NAMES[device]
            if isinstance(exc, DriverError):
                log.error("%s: %s", name, exc)
            else:
                log.error("%s: unexpected failure; trying it again", name, exc_info=exc)
            self.trouble(device, problem(exc))
        except Exception:
            log.exception("could not report a %s failure", device.value)

    def trouble(self, device: Device, problem: str | None) -> None:
        """Note that a device fails (``problem``) or works (None); the session and the hub
        hear of each change from working to failing and back at once."""
        name = DEVICE_NAMES[device]
        problem = problem[:180] if problem is not None else None  # the status allows 200
        with self._lock:
            before = self._troubles.get(device)
            if problem is None:
                if before is None:
                    return
                del self._troubles[device]
            else:
                self._troubles[device] = problem
            self._startup.pop(name, None)  # its start-up failure is this one now
        if (before is None) != (problem is None):
            if problem is None:
                log.info("%s: working again", name)
            self._on_change(device, problem)
        self.report()

    def report(self) -> None:
        """Tell the hub as soon as a device fails or recovers, not at the next status round.

        Called from the pump threads too, which must outlive anything going wrong here."""
        try:
            faults = self.faults()
            with self._lock:
                if faults == self._reported:
                    return
                self._reported = faults
            if faults:
                log.warning("not working: %s", "; ".join(faults))
            self._publish(faults)
        except Exception:
            log.exception("could not report the devices' health")
