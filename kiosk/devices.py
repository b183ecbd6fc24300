"""Builds the kiosk's devices from its config: real hardware on a Pi, simulated on a laptop.

A device that fails to start is logged and left out, so a kiosk with an unplugged reader still
runs (returns by scan, the screen, the outbox) and reports what is missing.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.app import Devices
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.errors import DriverError

log = logging.getLogger(__name__)


def build_devices(cfg: KioskConfig, clock: Clock) -> Devices:
    d = cfg.drivers
    devices = Devices()
    if d.rfid.enabled:
        devices.badges = _try("badge reader", lambda: _badge_reader(cfg, clock))
    if d.camera.enabled:
        devices.codes = _try("camera", lambda: _scanner(cfg))
    if d.gpio.enabled:
        devices.indicator = _try("LEDs and buzzer", lambda: _indicator(cfg))
    if d.display.enabled:
        devices.display = _try("display", lambda: _display(cfg))
    return devices


def _try(what: str, make: Any) -> Any:
    try:
        return make()
    except DriverError as exc:
        log.error("%s not available, running without it: %s", what, exc)
        return None


def _badge_reader(cfg: KioskConfig, clock: Clock) -> Any:
    from kiosk.drivers.rfid import MFRC522, BadgeReader, SimulatedBadgeReader, open_spi

    r = cfg.drivers.rfid
    if cfg.drivers.simulate:
        return SimulatedBadgeReader()
    chip = MFRC522(open_spi(r.spi_bus, r.spi_device))
    chip.init()
    return BadgeReader(chip, clock.monotonic, release_after=r.release_after_s)


def _scanner(cfg: KioskConfig) -> Any:
    from kiosk.drivers.camera import QrScanner, SimulatedScanner, open_camera

    c = cfg.drivers.camera
    if cfg.drivers.simulate:
        return SimulatedScanner()
    return QrScanner(open_camera(), size=(c.width, c.height))


def _indicator(cfg: KioskConfig) -> Any:
    from kiosk.drivers.gpio import Feedback, GpioPins

    g = cfg.drivers.gpio
    pins = GpioPins(
        green_led=g.green_led,
        red_led=g.red_led,
        buzzer=g.buzzer,
        lock_relay=g.lock_relay,
        door_sensor=g.door_sensor,
        button=g.button,
        relay_active_high=g.relay_active_high,
    )
    factory = None
    if cfg.drivers.simulate:
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        factory = MockFactory(pin_class=MockPWMPin)
    return Feedback(pins, pin_factory=factory)


def _display(cfg: KioskConfig) -> Any:
    from kiosk.drivers.display import Display

    s = cfg.drivers.display
    display = Display()
    size = (s.width, s.height) if s.width and s.height else None
    display.open(size=size, fullscreen=s.fullscreen)
    return display
