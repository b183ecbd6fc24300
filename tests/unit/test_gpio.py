"""LEDs, buzzer, door lock and door sensor on gpiozero MockFactory pins (real device code)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.config import KioskConfig
from kiosk.devices import build_devices
from kiosk.drivers.gpio import ConfirmButton, DoorLock, DoorSensor, GpioPins, LedIndicator
from kiosk.vocabulary import Pattern, Tone
from tests.fakes.wall_clock import FakeWallClock

GREEN, RED, BUZZER, RELAY, DOOR = 17, 27, 22, 23, 24


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


def wait_for_level(factory: MockFactory, pin: int, level: bool, timeout: float = 3.0) -> None:
    """Wait on the pin's recorded history (gpiozero's background blink runs in a thread)."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not any(bool(s.state) == level for s in factory.pin(pin).states[1:]):
        if time.monotonic() > deadline:
            raise TimeoutError(f"pin {pin} never went {'high' if level else 'low'}")
        event.wait(0.01)


def pulses(factory: MockFactory, pin: int) -> int:
    states = [bool(s.state) for s in factory.pin(pin).states]
    return sum(1 for a, b in pairwise(states) if not a and b)


def test_ready_success_and_denied(factory: MockFactory) -> None:
    fb = LedIndicator(GpioPins(green_led=GREEN, red_led=RED, buzzer=BUZZER), pin_factory=factory)
    fb.show(Pattern.READY)
    assert factory.pin(GREEN).state and not factory.pin(RED).state
    fb.show(Pattern.DENIED)
    wait_for_level(factory, RED, True)
    assert fb.state == Pattern.DENIED
    fb.close()


def test_error_beep_pulses_three_times(factory: MockFactory) -> None:
    fb = LedIndicator(GpioPins(buzzer=BUZZER), pin_factory=factory)
    fb.beep(Tone.ERROR)
    assert fb.buzzer is not None
    deadline = time.monotonic() + 3
    while pulses(factory, BUZZER) < 3 and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert pulses(factory, BUZZER) == 3
    fb.close()


def test_unknown_pattern_and_unfitted_devices(factory: MockFactory) -> None:
    fb = LedIndicator(GpioPins(), pin_factory=factory)
    fb.show(Pattern.SUCCESS)
    fb.beep(Tone.OK)  # nothing fitted: nothing happens, nothing breaks
    fb.beep(Tone.ALARM)
    fb.tick()
    fb.stop_alarm()
    with pytest.raises(ValueError, match="not a valid Pattern"):
        fb.show(Pattern("party"))  # a pattern is one of the vocabulary's, or nothing
    with pytest.raises(ValueError, match="not a valid Tone"):
        fb.beep(Tone("song"))


def showing(fb: LedIndicator) -> Pattern | None:
    """The pattern lit now (read through a call, so it is read again after each change)."""
    return fb.state


def finish_beep(fb: LedIndicator) -> None:
    """Let a beep gpiozero plays in the background (if one was started) run to its end."""
    thread = getattr(fb.buzzer, "_blink_thread", None)
    if thread is not None:
        thread.join(3)


def wait_for_pulse(factory: MockFactory, pin: int, timeout: float = 3.0) -> None:
    """Wait until the pin's recorded history shows it went on and then off again."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while True:
        states = [bool(s.state) for s in factory.pin(pin).states]
        if True in states and False in states[states.index(True) + 1 :]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"pin {pin} never pulsed")
        event.wait(0.01)


@pytest.mark.parametrize(
    ("pattern", "lasts"), [(Pattern.SUCCESS, 0.5), (Pattern.DENIED, 1.5), (Pattern.BUSY, 10)]
)
def test_ready_comes_back_after_a_scan_pattern(
    factory: MockFactory, pattern: Pattern, lasts: float
) -> None:
    clock = Clock()
    fb = LedIndicator(GpioPins(green_led=GREEN, red_led=RED), pin_factory=factory, clock=clock)
    fb.show(Pattern.READY)
    clock.t = 100
    fb.show(pattern)
    clock.t = 100 + lasts - 0.05
    fb.tick()
    assert fb.state == pattern
    clock.t = 100 + lasts
    fb.tick()
    assert fb.state == Pattern.READY
    assert factory.pin(GREEN).state and not factory.pin(RED).state  # steady green again
    fb.close()


def test_offline_blink_comes_back_after_a_scan(factory: MockFactory) -> None:
    clock = Clock()
    fb = LedIndicator(GpioPins(green_led=GREEN, red_led=RED), pin_factory=factory, clock=clock)
    fb.show(Pattern.OFFLINE)
    fb.show(Pattern.SUCCESS)
    clock.t = 1
    factory.pin(RED).clear_states()
    fb.tick()
    assert fb.state == Pattern.OFFLINE and not factory.pin(GREEN).state
    wait_for_pulse(factory, RED)  # the slow red blink, not a steady light
    fb.close()


def test_connectivity_change_during_a_scan_pattern_shows_after_it(factory: MockFactory) -> None:
    clock = Clock()
    fb = LedIndicator(GpioPins(green_led=GREEN, red_led=RED), pin_factory=factory, clock=clock)
    fb.show(Pattern.READY)
    fb.show(Pattern.DENIED)
    fb.show(Pattern.OFFLINE)  # the link drops while the student still sees the red light
    assert fb.state == Pattern.DENIED
    clock.t = 1.5
    fb.tick()
    assert showing(fb) == Pattern.OFFLINE and not factory.pin(GREEN).state
    fb.show(Pattern.SUCCESS)
    fb.show(Pattern.READY)  # back online
    clock.t = 2.0
    fb.tick()
    assert showing(fb) == Pattern.READY
    assert factory.pin(GREEN).state and not factory.pin(RED).state
    fb.close()


def test_scan_tones_do_not_silence_the_door_alarm(factory: MockFactory) -> None:
    fb = LedIndicator(GpioPins(buzzer=BUZZER), pin_factory=factory, clock=Clock())
    fb.beep(Tone.ERROR)
    fb.beep(Tone.ALARM)  # the alarm also cuts a beep short
    finish_beep(fb)
    assert fb.alarming and factory.pin(BUZZER).state
    for tone in (Tone.OK, Tone.ERROR):
        fb.beep(tone)
        finish_beep(fb)
        fb.tick()
        assert fb.alarming and factory.pin(BUZZER).state  # still sounding
    fb.stop_alarm()
    assert not fb.alarming and not factory.pin(BUZZER).state
    factory.pin(BUZZER).clear_states()
    fb.beep(Tone.OK)  # scans beep again once the alarm is over
    wait_for_pulse(factory, BUZZER)
    fb.close()


def test_bcm_pin_0_is_a_fitted_pin(factory: MockFactory) -> None:
    fb = LedIndicator(
        GpioPins(green_led=0, red_led=1, buzzer=2), pin_factory=factory, clock=Clock()
    )
    fb.show(Pattern.READY)
    fb.beep(Tone.ALARM)
    assert factory.pin(0).state and not factory.pin(1).state and factory.pin(2).state
    fb.close()


def test_config_reaches_the_built_indicator() -> None:
    cfg = KioskConfig.model_validate(
        {
            "kiosk": {"id": "cage-1"},
            "signing": {"key": "a" * 64},
            "broker": {"password": "x"},
            "drivers": {
                "simulate": True,
                "rfid": {"enabled": False},
                "camera": {"enabled": False},
                "display": {"enabled": False},
                "gpio": {"buzzer_active_high": False},
            },
        }
    )
    clock = FakeWallClock()
    fb = build_devices(cfg, clock).indicator
    assert isinstance(fb, LedIndicator) and fb.buzzer is not None and fb.green is not None
    buzzer, green = fb.buzzer.pin_factory.pin(BUZZER), fb.green.pin_factory.pin(GREEN)
    assert buzzer.state  # an active-low buzzer is silent with its input high
    fb.beep(Tone.ALARM)
    assert not buzzer.state
    fb.show(Pattern.READY)
    fb.show(Pattern.DENIED)
    clock.advance(1.5)  # the kiosk's clock, not the system's, ends the pattern
    fb.tick()
    assert fb.state == Pattern.READY and green.state
    fb.close()


def test_door_lock_is_fail_secure_and_relocks(factory: MockFactory) -> None:
    clock = Clock()
    lock = DoorLock(RELAY, pin_factory=factory, clock=clock)
    assert not lock.is_unlocked and not factory.pin(RELAY).state  # de-energised = locked
    lock.unlock(5)
    assert lock.is_unlocked and factory.pin(RELAY).state
    clock.t = 4.9
    lock.tick()
    assert lock.is_unlocked
    clock.t = 5.0
    lock.tick()
    assert not lock.is_unlocked
    lock.unlock(5)
    lock.close()
    assert not factory.pin(RELAY).state


def test_active_low_relay_inverts_the_level(factory: MockFactory) -> None:
    lock = DoorLock(RELAY, pin_factory=factory, active_high=False, clock=Clock())
    assert factory.pin(RELAY).state  # high = relay off for an active-low board
    lock.unlock(1)
    assert not factory.pin(RELAY).state
    lock.close()


def test_door_sensor_and_held_open_alarm(factory: MockFactory) -> None:
    clock = Clock()
    sensor = DoorSensor(DOOR, pin_factory=factory, clock=clock, held_open_after=30)
    door_pin = factory.pin(DOOR)
    door_pin.drive_low()  # reed switch closed to ground: door shut
    opened = threading.Event()
    sensor.when_opened = opened.set
    assert not sensor.is_open
    door_pin.drive_high()  # magnet gone: the pull-up wins
    assert opened.wait(2) and sensor.is_open
    clock.t = 29
    assert not sensor.held_open
    clock.t = 30
    assert sensor.held_open
    door_pin.drive_low()
    assert not sensor.is_open and not sensor.held_open
    sensor.close()


def test_physical_button_press_calls_back_once(factory: MockFactory) -> None:
    pressed = threading.Event()
    count: list[int] = []

    def press() -> None:
        count.append(1)
        pressed.set()

    button = ConfirmButton(5, press, pin_factory=factory)
    factory.pin(5).drive_low()  # pressed (to ground)
    assert pressed.wait(2)
    factory.pin(5).drive_high()
    assert count == [1]
    button.close()
