"""Builds the kiosk's devices from its config: real hardware on a Pi, simulated on a laptop.

A device that fails to start is logged and left out, so a kiosk with an unplugged reader still
runs (returns by scan, the screen, the outbox) and reports what is missing; the reader and the
camera come with a way to open them again, which the app uses until they work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.app import Devices
from kiosk.clock import Clock
from kiosk.config import KioskConfig

log = logging.getLogger(__name__)


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


def _try(devices: Devices, what: str, make: Any) -> Any:
    try:
        return make()
    except Exception as exc:  # DriverError, gpiozero's pin errors, pygame's: report, go on
        log.error("%s not available, running without it: %s", what, exc)
        devices.faults[what] = f"not available: {exc}"  # in the kiosk's status, for the hub
        return None


def _badge_reader(cfg: KioskConfig, clock: Clock) -> Any:
    from kiosk.drivers.rfid import MFRC522, BadgeReader, SimulatedBadgeReader, open_spi

    r = cfg.drivers.rfid
    if cfg.drivers.simulate:
        return SimulatedBadgeReader()
    chip = MFRC522(open_spi(r.spi_bus, r.spi_device))  # the reader initialises it on first poll
    return BadgeReader(chip, clock.monotonic, release_after=r.release_after_s)


def _scanner(cfg: KioskConfig) -> Any:
    from kiosk.drivers.camera import CameraSettings, QrScanner, SimulatedScanner, open_camera

    if cfg.drivers.simulate:
        return SimulatedScanner()
    # the scanner opens the camera itself, so a start after a failure opens it afresh
    return QrScanner(opener=open_camera, settings=CameraSettings.of(cfg.drivers.camera))


def _pin_factory(cfg: KioskConfig) -> Any:
    """gpiozero's own pin factory on a Pi; mock pins in simulation."""
    if not cfg.drivers.simulate:
        return None
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


def _indicator(cfg: KioskConfig, factory: Any, clock: Clock) -> Any:
    from kiosk.drivers.gpio import Feedback, GpioPins

    g = cfg.drivers.gpio
    pins = GpioPins(
        green_led=g.green_led,
        red_led=g.red_led,
        buzzer=g.buzzer,
        buzzer_active_high=g.buzzer_active_high,
    )
    return Feedback(pins, pin_factory=factory, clock=clock.monotonic)


def _button(cfg: KioskConfig, factory: Any, confirm: Callable[[], None]) -> Any:
    from kiosk.drivers.gpio import ConfirmButton

    pin = cfg.drivers.gpio.button
    return None if pin is None else ConfirmButton(pin, confirm, pin_factory=factory)


def _door(cfg: KioskConfig, factory: Any, clock: Clock) -> Any:
    from kiosk.drivers.gpio import DoorLock

    g = cfg.drivers.gpio
    if g.lock_relay is None:
        return None
    return DoorLock(
        g.lock_relay, pin_factory=factory, active_high=g.relay_active_high, clock=clock.monotonic
    )


def _door_sensor(cfg: KioskConfig, factory: Any, clock: Clock) -> Any:
    from kiosk.drivers.gpio import DoorSensor

    g = cfg.drivers.gpio
    if g.door_sensor is None:
        return None
    return DoorSensor(
        g.door_sensor, pin_factory=factory, clock=clock.monotonic, held_open_after=g.held_open_s
    )


def _display(cfg: KioskConfig) -> Any:
    from kiosk.drivers.display import Display

    s = cfg.drivers.display
    display = Display()
    size = (s.width, s.height) if s.width is not None and s.height is not None else None
    display.open(size=size, fullscreen=s.fullscreen)
    return display
