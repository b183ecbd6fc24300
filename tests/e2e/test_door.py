"""The cage door at a return station: a staff badge unlocks it through the real gpiozero relay
code, it relocks on time, and a door held open sounds the alarm."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.app import Devices
from kiosk.drivers.gpio import DoorLock, DoorSensor, Feedback, GpioPins
from kiosk.screens import IdleScreen
from kiosk.session import DOOR_ALARM_TEXT, Profile
from tests.harness import STAFF_BADGE, Cage

RELAY, REED, BUZZER = 23, 24, 22


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


def wait_for_pin(factory: MockFactory, pin: int, high: bool, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while bool(factory.pin(pin).state) != high:
        if time.monotonic() > deadline:
            raise TimeoutError(f"GPIO{pin} never went {'high' if high else 'low'}")
        pause.wait(0.01)


def test_staff_badge_opens_the_door_which_relocks_and_alarms(
    cage: Cage, factory: MockFactory
) -> None:
    mono = cage.clock.monotonic
    indicator = Feedback(GpioPins(buzzer=BUZZER), pin_factory=factory, clock=mono)
    devices = Devices(
        indicator=indicator,
        door=DoorLock(RELAY, pin_factory=factory, clock=mono),
        door_sensor=DoorSensor(REED, pin_factory=factory, clock=mono, held_open_after=30),
    )
    factory.pin(REED).drive_low()  # door shut
    door = cage.kiosk("door-1", devices, profile=Profile.STATION)
    door.wait_replica(10)
    assert not factory.pin(RELAY).state  # locked (relay off) from the start

    door.submit(door.badge("04A1B2C3"))  # a student's badge does not open it
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and bool(s.message), 5)
    assert not factory.pin(RELAY).state

    door.submit(door.badge(STAFF_BADGE))
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message == "Door unlocked", 5)
    wait_for_pin(factory, RELAY, high=True)
    cage.clock.advance(6)  # past the 5 s unlock: the app's next tick relocks
    wait_for_pin(factory, RELAY, high=False)

    factory.pin(REED).drive_high()  # someone props the door open
    cage.clock.advance(31)
    wait_for_pin(factory, BUZZER, high=True)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message == DOOR_ALARM_TEXT, 5)
    # a return meanwhile is taken and answered on screen; its tone does not stop the alarm
    door.submit(door.label("CK1:LENS-0001"))
    door.wait_for_screen(
        lambda s: isinstance(s, IdleScreen) and s.message == "Returned: Zeiss 50mm lens", 5
    )
    # still sounding when the return is answered (that its tone is dropped: tests/unit/test_gpio.py)
    assert factory.pin(BUZZER).state and indicator.alarming
    factory.pin(REED).drive_low()
    cage.clock.advance(1)
    wait_for_pin(factory, BUZZER, high=False)
    cage.clock.advance(10)  # the return's message goes; the request to close the door went too
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)

    assert door.link is not None and door.link.wait_drained(10)
    assert [(r.type, r.person) for r in cage.store.ledger_rows()] == [
        ("door_unlocked", "sam"),
        ("return", None),  # nobody held the lens: the hub takes note, custody is unchanged
    ]
