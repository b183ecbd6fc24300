"""The kiosk's devices: what the app asks of each, and building them from the config (real
hardware on a Pi, simulated on a laptop).

A device that fails to start is logged and left out, so a kiosk with an unplugged reader still
runs (returns by scan, the screen, the outbox) and reports what is missing; the reader and the
camera come with a way to open them again, which the app uses until they work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.screens import Screen
from kiosk.vocabulary import Action, Pattern, Tone

if TYPE_CHECKING:
    from gpiozero import Factory

log = logging.getLogger(__name__)

T = TypeVar("T")


class BadgeSource(Protocol):
    """A badge reader: the UID of a card newly presented, or None. A reader that retries by
    itself may also say ``healthy`` and ``last_error`` (the app reads them when present)."""

    def poll(self) -> str | None: ...


class CodeSource(Protocol):
    """A camera that decodes labels: the texts read since the last poll. It may also keep
    ``last_frame_at`` and ``healthy`` (the app's frame watchdog reads them when present)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def poll(self) -> list[str]: ...


class Indicator(Protocol):
    """The status LEDs and the buzzer."""

    def show(self, pattern: Pattern) -> None: ...
    def beep(self, tone: Tone) -> None: ...
    def stop_alarm(self) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


class DoorControl(Protocol):
    """The cage door's lock: unlocked for a time, relocked by ``tick``."""

    def unlock(self, seconds: float) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


class Closeable(Protocol):
    def close(self) -> None: ...


class DoorMonitor(Protocol):
    """The door's reed switch: whether the door has been open too long."""

    @property
    def held_open(self) -> bool: ...
    def close(self) -> None: ...


class Tap(Protocol):
    """What a tap on the screen asked for, and the item or key it was on."""

    @property
    def action(self) -> Action: ...
    @property
    def code(self) -> str | None: ...


class ScreenDevice(Protocol):
    """The touch screen: draws a screen model, reports the taps since the last poll."""

    def show(self, screen: Screen) -> object: ...
    def poll_actions(self) -> Sequence[Tap]: ...
    def close(self) -> None: ...


@dataclass
class Devices:
    """What the kiosk has fitted; any of them may be absent (a return station has no screen)."""

    badges: BadgeSource | None = None
    codes: CodeSource | None = None
    indicator: Indicator | None = None
    display: ScreenDevice | None = None
    door: DoorControl | None = None
    door_sensor: DoorMonitor | None = None
    button: Closeable | None = None  # a physical confirm button, wired with app.press()
    extra_closers: list[Callable[[], None]] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)  # devices that failed to start, and why
    # how to open the reader or the camera again when it could not be opened at start-up: the
    # app keeps trying (with a growing pause) instead of running without it until a restart
    open_badges: Callable[[], BadgeSource] | None = None
    open_codes: Callable[[], CodeSource] | None = None

    def reader(self) -> BadgeSource:
        """The badge reader, opened now if it could not be at start-up (which raises if it
        still cannot be)."""
        if self.badges is None:
            assert self.open_badges is not None
            self.badges = self.open_badges()
            log.info("badge reader: opened")
        return self.badges

    def scanner(self) -> CodeSource:
        """The camera, opened now if it could not be at start-up (which raises if it still
        cannot be)."""
        if self.codes is None:
            assert self.open_codes is not None
            self.codes = self.open_codes()
            log.info("camera: opened")
        return self.codes

    def close(self) -> None:
        """Stop the camera and close every other device fitted (the lock closes locked), then
        run the extra closers; a camera that will not stop is logged, not a reason to leave
        the lock open."""
        if self.codes is not None:
            try:
                self.codes.stop()
            except Exception:
                log.exception("camera: could not stop it")
        fitted = (self.indicator, self.display, self.door, self.door_sensor, self.button)
        for device in fitted:
            if device is not None:
                device.close()
        for closer in self.extra_closers:
            closer()


def build_devices(
    cfg: KioskConfig, clock: Clock, confirm: Callable[[], None] = lambda: None
) -> Devices:
    """``confirm`` is what the physical button does (the app's ``press``)."""
    d = cfg.drivers
    devices = Devices()
    if d.rfid.enabled:
        devices.badges = _try(devices, "badge reader", lambda: _badge_reader(cfg, clock))
        # a reader or camera missing at start-up is opened again by the app until it works
        devices.open_badges = lambda: _badge_reader(cfg, clock)
    if d.camera.enabled:
        devices.codes = _try(devices, "camera", lambda: _scanner(cfg))
        devices.open_codes = lambda: _scanner(cfg)
    if d.gpio.enabled:
        factory = _pin_factory(cfg)
        devices.indicator = _try(
            devices, "LEDs and buzzer", lambda: _indicator(cfg, factory, clock)
        )
        devices.door = _try(devices, "door lock", lambda: _door(cfg, factory, clock))
        devices.door_sensor = _try(
            devices, "door sensor", lambda: _door_sensor(cfg, factory, clock)
        )
        devices.button = _try(devices, "confirm button", lambda: _button(cfg, factory, confirm))
    if d.display.enabled:
        devices.display = _try(devices, "display", lambda: _display(cfg))
    return devices


def _try(devices: Devices, what: str, make: Callable[[], T | None]) -> T | None:
    try:
        return make()
    except Exception as exc:  # DriverError, gpiozero's pin errors, pygame's: report, go on
        log.error("%s not available, running without it: %s", what, exc)
        devices.faults[what] = f"not available: {exc}"  # in the kiosk's status, for the hub
        return None


def _badge_reader(cfg: KioskConfig, clock: Clock) -> BadgeSource:
    from kiosk.drivers.rfid import MFRC522, BadgeReader, SimulatedBadgeReader, open_spi

    r = cfg.drivers.rfid
    if cfg.drivers.simulate:
        return SimulatedBadgeReader()
    chip = MFRC522(open_spi(r.spi_bus, r.spi_device))  # the reader initialises it on first poll
    return BadgeReader(chip, clock.monotonic, release_after=r.release_after_s)


def _scanner(cfg: KioskConfig) -> CodeSource:
    from kiosk.drivers.camera import QrScanner, SimulatedScanner, open_camera
    from kiosk.drivers.camera_streams import CameraSettings

    if cfg.drivers.simulate:
        return SimulatedScanner()
    # the scanner opens the camera itself, so a start after a failure opens it afresh
    return QrScanner(opener=open_camera, settings=CameraSettings.of(cfg.drivers.camera))


def _pin_factory(cfg: KioskConfig) -> Factory | None:
    """gpiozero's own pin factory on a Pi; mock pins in simulation."""
    if not cfg.drivers.simulate:
        return None
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory: Factory = MockFactory(pin_class=MockPWMPin)
    return factory


def _indicator(cfg: KioskConfig, factory: Factory | None, clock: Clock) -> Indicator:
    from kiosk.drivers.gpio import GpioPins, LedIndicator

    g = cfg.drivers.gpio
    pins = GpioPins(
        green_led=g.green_led,
        red_led=g.red_led,
        buzzer=g.buzzer,
        buzzer_active_high=g.buzzer_active_high,
    )
    return LedIndicator(pins, pin_factory=factory, clock=clock.monotonic)


def _button(
    cfg: KioskConfig, factory: Factory | None, confirm: Callable[[], None]
) -> Closeable | None:
    from kiosk.drivers.gpio import ConfirmButton

    pin = cfg.drivers.gpio.button
    return None if pin is None else ConfirmButton(pin, confirm, pin_factory=factory)


def _door(cfg: KioskConfig, factory: Factory | None, clock: Clock) -> DoorControl | None:
    from kiosk.drivers.gpio import DoorLock

    g = cfg.drivers.gpio
    if g.lock_relay is None:
        return None
    return DoorLock(
        g.lock_relay, pin_factory=factory, active_high=g.relay_active_high, clock=clock.monotonic
    )


def _door_sensor(cfg: KioskConfig, factory: Factory | None, clock: Clock) -> DoorMonitor | None:
    from kiosk.drivers.gpio import DoorSensor

    g = cfg.drivers.gpio
    if g.door_sensor is None:
        return None
    return DoorSensor(
        g.door_sensor,
        pin_factory=factory,
        clock=clock.monotonic,
        held_open_after=g.held_open_s,
    )


def _display(cfg: KioskConfig) -> ScreenDevice:
    from kiosk.drivers.display import Display

    s = cfg.drivers.display
    display = Display()
    size = (s.width, s.height) if s.width is not None and s.height is not None else None
    display.open(size=size, fullscreen=s.fullscreen)
    return display
