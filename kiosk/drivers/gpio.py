"""LEDs, buzzer, door-lock relay, reed-switch door sensor and an optional button (gpiozero).

Every device takes a pin factory, so tests run the real gpiozero device code on MockFactory pins
and a laptop simulation does the same. Timed behaviour that matters for safety (relocking the
door, the held-open alarm) is driven by ``tick()`` with an injected clock, not by timer threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpiozero import LED, Button, Buzzer, OutputDevice

from kiosk.vocabulary import Pattern, Tone


@dataclass(frozen=True)
class GpioPins:
    """BCM pin numbers; None means not fitted."""

    green_led: int | None = None
    red_led: int | None = None
    buzzer: int | None = None
    lock_relay: int | None = None
    door_sensor: int | None = None
    button: int | None = None
    relay_active_high: bool = True
    buzzer_active_high: bool = True


# How long each transient pattern shows before the base pattern comes back. BUSY has no natural
# end, so it lapses after a while unless shown again (each show restarts its time).
TRANSIENT_S = {Pattern.SUCCESS: 0.5, Pattern.DENIED: 1.5, Pattern.BUSY: 10.0}


class LedIndicator:
    """Status light and sound for every scan: a student sees and hears the answer at once.

    READY and OFFLINE are the base state; SUCCESS, DENIED and BUSY are transient and
    the base comes back once they have shown for ``TRANSIENT_S`` (a base shown meanwhile is
    remembered and comes back instead). The app calls ``tick()`` a few times a second to end
    transient patterns, reading time from the injected ``clock``.

    ``beep(Tone.ALARM)`` sounds the buzzer continuously until ``stop_alarm()``. While the alarm is
    on, other tones are dropped, so a scan cannot silence a door held open.
    """

    def __init__(
        self,
        pins: GpioPins,
        pin_factory: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.green = _led(pins.green_led, pin_factory)
        self.red = _led(pins.red_led, pin_factory)
        self.buzzer = (
            Buzzer(pins.buzzer, active_high=pins.buzzer_active_high, pin_factory=pin_factory)
            if pins.buzzer is not None
            else None
        )
        self._clock = clock
        self._lock = threading.RLock()
        self.state: Pattern | None = None  # the pattern showing now (None: both dark)
        self._base: Pattern | None = None  # None until the app first shows READY or OFFLINE
        self._transient_until: float | None = None
        self._alarming = False

    @property
    def alarming(self) -> bool:
        """True from ``beep(Tone.ALARM)`` until ``stop_alarm()`` (even with no buzzer fitted)."""
        return self._alarming

    def show(self, pattern: Pattern) -> None:
        with self._lock:
            if pattern.resting:
                self._base = pattern
                if self._transient_until is None:
                    self._light(pattern)
            else:
                self._transient_until = self._clock() + TRANSIENT_S[pattern]
                self._light(pattern)

    def tick(self) -> None:
        """Bring the base pattern back once a transient one has had its time."""
        with self._lock:
            if self._transient_until is not None and self._clock() >= self._transient_until:
                self._transient_until = None
                self._light(self._base)

    def beep(self, tone: Tone) -> None:
        with self._lock:
            if tone is Tone.ALARM:
                self._alarming = True
                if self.buzzer is not None:
                    self.buzzer.on()  # also ends a beep in progress
            elif self._alarming or self.buzzer is None:
                return  # dropped: a short beep would silence the alarm
            elif tone is Tone.OK:
                self.buzzer.beep(on_time=0.06, off_time=0.01, n=1, background=True)
            else:
                self.buzzer.beep(on_time=0.12, off_time=0.08, n=3, background=True)

    def stop_alarm(self) -> None:
        with self._lock:
            self._alarming = False
            if self.buzzer is not None:
                self.buzzer.off()

    def close(self) -> None:
        for device in (self.green, self.red, self.buzzer):
            if device is not None:
                device.close()

    def _light(self, pattern: Pattern | None) -> None:
        """Set both LEDs for ``pattern``; None is both dark."""
        self.state = pattern
        green, red = self.green, self.red
        if pattern is None:
            _off(green)
            _off(red)
        elif pattern is Pattern.READY:
            _on(green)
            _off(red)
        elif pattern is Pattern.SUCCESS:
            _off(red)
            if green is not None:
                green.blink(on_time=0.08, off_time=0.08, n=3, background=True)
        elif pattern is Pattern.DENIED:
            _off(green)
            if red is not None:
                red.blink(on_time=1.5, off_time=0.01, n=1, background=True)
        elif pattern is Pattern.OFFLINE:
            _off(green)
            if red is not None:
                red.blink(on_time=0.2, off_time=1.8, background=True)
        elif pattern is Pattern.BUSY:
            _off(red)
            if green is not None:
                green.blink(on_time=0.3, off_time=0.3, background=True)


class DoorLock:
    """A fail-secure lock: the relay energised means unlocked, so a power cut or a crash leaves
    the door locked."""

    def __init__(
        self,
        pin: int,
        pin_factory: Any | None = None,
        active_high: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._relay = OutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
        )
        self._clock = clock
        self._relock_at: float | None = None

    @property
    def is_unlocked(self) -> bool:
        return bool(self._relay.value)

    def unlock(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("unlock time must be positive")
        self._relay.on()
        self._relock_at = self._clock() + seconds

    def lock(self) -> None:
        self._relay.off()
        self._relock_at = None

    def tick(self) -> None:
        """Relock once the unlock time has passed; the app calls this a few times a second."""
        if self._relock_at is not None and self._clock() >= self._relock_at:
            self.lock()

    def close(self) -> None:
        self.lock()
        self._relay.close()


class DoorSensor:
    """A reed switch between the pin and ground (pull-up): closed (low) means the door is shut.

    A reed switch chatters for a few milliseconds as the magnet comes and goes; gpiozero's
    ``bounce_time`` drops the edges that follow a reported one within that time, so one swing
    of the door is one opening and one closing (and the held-open time is not restarted)."""

    def __init__(
        self,
        pin: int,
        pin_factory: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        held_open_after: float = 30.0,
        bounce_time: float | None = 0.05,
    ) -> None:
        self._switch = Button(pin, pull_up=True, bounce_time=bounce_time, pin_factory=pin_factory)
        self._clock = clock
        self._held_open_after = held_open_after
        self._opened_at: float | None = None if not self.is_open else clock()
        self.when_opened: Callable[[], None] | None = None
        self.when_closed: Callable[[], None] | None = None
        self._switch.when_released = self._opened
        self._switch.when_pressed = self._closed

    @property
    def is_open(self) -> bool:
        return not self._switch.is_pressed

    @property
    def held_open(self) -> bool:
        return self._opened_at is not None and (
            self._clock() - self._opened_at >= self._held_open_after
        )

    def _opened(self) -> None:
        self._opened_at = self._clock()
        if self.when_opened is not None:
            self.when_opened()

    def _closed(self) -> None:
        self._opened_at = None
        if self.when_closed is not None:
            self.when_closed()

    def close(self) -> None:
        self._switch.close()


class ConfirmButton:
    """An optional physical button beside the screen: a press confirms, like the Confirm touch.

    Wired between the pin and ground (pull-up); contact bounce is filtered by gpiozero.
    """

    def __init__(
        self,
        pin: int,
        on_press: Callable[[], None],
        pin_factory: Any | None = None,
        bounce_time: float = 0.05,
    ) -> None:
        self._button = Button(pin, pull_up=True, bounce_time=bounce_time, pin_factory=pin_factory)
        self._button.when_pressed = lambda: on_press()

    def close(self) -> None:
        self._button.close()


def _led(pin: int | None, pin_factory: Any | None) -> LED | None:
    return None if pin is None else LED(pin, pin_factory=pin_factory)


def _on(led: LED | None) -> None:
    if led is not None:
        led.on()


def _off(led: LED | None) -> None:
    if led is not None:
        led.off()
