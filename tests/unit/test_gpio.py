"""LEDs, buzzer, door lock and door sensor on gpiozero MockFactory pins (real device code)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.drivers.gpio import ConfirmButton, DoorLock, DoorSensor, Feedback, GpioPins

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
    fb = Feedback(GpioPins(green_led=GREEN, red_led=RED, buzzer=BUZZER), pin_factory=factory)
    fb.show("ready")
    assert factory.pin(GREEN).state and not factory.pin(RED).state
    fb.show("denied")
    wait_for_level(factory, RED, True)
    assert fb.state == "denied"
    fb.close()


def test_error_beep_pulses_three_times(factory: MockFactory) -> None:
    fb = Feedback(GpioPins(buzzer=BUZZER), pin_factory=factory)
    fb.beep("error")
    assert fb.buzzer is not None
    deadline = time.monotonic() + 3
    while pulses(factory, BUZZER) < 3 and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert pulses(factory, BUZZER) == 3
    fb.close()


def test_unknown_pattern_and_unfitted_devices(factory: MockFactory) -> None:
    fb = Feedback(GpioPins(), pin_factory=factory)
    fb.show("success")
    fb.beep("ok")  # nothing fitted: nothing happens, nothing breaks
    with pytest.raises(ValueError, match="unknown LED pattern"):
        fb.show("party")
    with pytest.raises(ValueError, match="unknown tone"):
        fb.beep("song")


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
