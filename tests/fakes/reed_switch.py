"""A door's reed switch that chatters as a real one does, on a mock pin that filters bounce the
way gpiozero documents for ``Pin.bounce`` (an edge within ``bounce`` seconds of the last one
reported is dropped), so the door sensor's ``bounce_time`` is tested where it acts.

gpiozero's own MockPin stores ``bounce`` and ignores it, so with it a debounce setting would be
untested; the hardware factories (lgpio, RPi.GPIO, the native one) all filter. Time is a test
clock, shared with the device under test, so no test sleeps."""

from __future__ import annotations

from collections.abc import Callable

from gpiozero.pins.mock import MockFactory, MockPin


class DebouncingMockPin(MockPin):  # type: ignore[misc]  # gpiozero has no type hints
    def __init__(self, factory: ClockedMockFactory, info: object) -> None:
        super().__init__(factory, info)
        self._last_reported: float | None = None
        self.edges_seen = 0  # every edge the pin saw, reported or dropped

    def _call_when_changed(self) -> None:
        now = self.factory.ticks()
        self.edges_seen += 1
        last, bounce = self._last_reported, self._bounce
        if bounce is not None and last is not None and now - last <= bounce:
            return  # within the bounce time of the last edge reported: dropped
        self._last_reported = now
        super(MockPin, self)._call_when_changed(now, self._state)


class ClockedMockFactory(MockFactory):  # type: ignore[misc]
    """MockFactory whose pins read time (their edges' ticks) from ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(pin_class=DebouncingMockPin)
        self._clock = clock

    def ticks(self) -> float:
        return self._clock()


class ReedSwitch:
    """A reed switch to ground on ``pin`` (pulled up): closed is low. Each change makes
    ``chatter`` extra contacts, ``contact_s`` apart, before it settles, as the magnet passes."""

    def __init__(
        self,
        pin: DebouncingMockPin,
        advance: Callable[[float], None],
        chatter: int = 4,
        contact_s: float = 0.002,
    ) -> None:
        self.pin, self._advance = pin, advance
        self.chatter, self.contact_s = chatter, contact_s

    def open(self) -> None:
        """The magnet moves away: the contacts part, touch again, and finally stay apart."""
        self._settle(self.pin.drive_high, self.pin.drive_low)

    def close(self) -> None:
        """The magnet comes back: the contacts meet, spring apart, and finally stay shut."""
        self._settle(self.pin.drive_low, self.pin.drive_high)

    def _settle(self, to: Callable[[], None], back: Callable[[], None]) -> None:
        for _ in range(self.chatter):
            to()
            self._advance(self.contact_s)
            back()
            self._advance(self.contact_s)
        to()
