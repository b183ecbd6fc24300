"""LEDs, buzzer, door-lock relay, reed-switch door sensor and an optional button (gpiozero).

Every device takes a pin factory, so tests run the real gpiozero device code on MockFactory pins
and a laptop simulation does the same. Timed behaviour that matters for safety (relocking the
door, the held-open alarm) is driven by ``tick()`` with an injected clock, not by timer threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpiozero import LED, Button, Buzzer, OutputDevice


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


PATTERNS = ("ready", "success", "denied", "offline", "busy")
TONES = ("ok", "error", "alarm")


class Feedback:
    """Status light and sound for every scan: a student sees and hears the answer at once."""

    def __init__(self, pins: GpioPins, pin_factory: Any | None = None) -> None:
        self.green = LED(pins.green_led, pin_factory=pin_factory) if pins.green_led else None
        self.red = LED(pins.red_led, pin_factory=pin_factory) if pins.red_led else None
        self.buzzer = (
            Buzzer(pins.buzzer, active_high=pins.buzzer_active_high, pin_factory=pin_factory)
            if pins.buzzer
            else None
        )
        self.state = "off"
        self._offline = False

    def show(self, pattern: str) -> None:
        if pattern not in PATTERNS:
            raise ValueError(f"unknown LED pattern {pattern!r}; one of {', '.join(PATTERNS)}")
        self.state = pattern
        if pattern == "offline":
            self._offline = True
        elif pattern == "ready":
            self._offline = False
        green, red = self.green, self.red
        if pattern == "ready":
            _on(green)
            _off(red)
        elif pattern == "success":
            _off(red)
            if green is not None:
                green.blink(on_time=0.08, off_time=0.08, n=3, background=True)
        elif pattern == "denied":
            _off(green)
            if red is not None:
                red.blink(on_time=1.5, off_time=0.01, n=1, background=True)
        elif pattern == "offline":
            _off(green)
            if red is not None:
                red.blink(on_time=0.2, off_time=1.8, background=True)
        elif pattern == "busy" and green is not None:
            green.blink(on_time=0.3, off_time=0.3, background=True)

    def beep(self, tone: str) -> None:
        if tone not in TONES:
            raise ValueError(f"unknown tone {tone!r}; one of {', '.join(TONES)}")
        if self.buzzer is None:
            return
        if tone == "ok":
            self.buzzer.beep(on_time=0.06, off_time=0.01, n=1, background=True)
        elif tone == "error":
            self.buzzer.beep(on_time=0.12, off_time=0.08, n=3, background=True)
        else:
            self.buzzer.on()

    def stop_alarm(self) -> None:
        if self.buzzer is not None:
            self.buzzer.off()

    def close(self) -> None:
        for device in (self.green, self.red, self.buzzer):
            if device is not None:
                device.close()


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
    """A reed switch between the pin and ground (pull-up): closed (low) means the door is shut."""

    def __init__(
        self,
        pin: int,
        pin_factory: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        held_open_after: float = 30.0,
    ) -> None:
        self._switch = Button(pin, pull_up=True, pin_factory=pin_factory)
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


def _on(led: LED | None) -> None:
    if led is not None:
        led.on()


def _off(led: LED | None) -> None:
    if led is not None:
        led.off()
