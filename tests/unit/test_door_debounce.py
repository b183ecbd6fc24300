"""The door's reed switch chatters on every swing; the sensor must see one opening and one
closing, and time a door held open from when it opened (tested on a pin that filters bounce as
gpiozero's hardware factories do, driven by a switch that really bounces)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.drivers.gpio import DoorSensor
from tests.fakes.reed_switch import ClockedMockFactory, DebouncingMockPin, ReedSwitch
from tests.fakes.wall_clock import FakeWallClock

DOOR = 24


@pytest.fixture
def clock() -> FakeWallClock:
    return FakeWallClock()


@pytest.fixture
def factory(clock: FakeWallClock) -> Iterator[ClockedMockFactory]:
    f = ClockedMockFactory(clock.monotonic)
    yield f
    f.reset()


def watched(sensor: DoorSensor) -> tuple[list[str], list[str]]:
    opened: list[str] = []
    closed: list[str] = []
    sensor.when_opened = lambda: opened.append("opened")
    sensor.when_closed = lambda: closed.append("closed")
    return opened, closed


def shut_switch(factory: ClockedMockFactory, clock: FakeWallClock) -> ReedSwitch:
    """The switch on the sensor's pin, shut: it holds the line low against the pull-up the
    sensor has just switched on (a mock pin follows its pull until driven)."""
    pin: DebouncingMockPin = factory.pin(DOOR)
    pin.drive_low()
    clock.advance(1)
    pin.edges_seen = 0
    return ReedSwitch(pin, clock.advance)


def test_one_swing_of_a_chattering_door_is_one_opening_and_one_closing(
    factory: ClockedMockFactory, clock: FakeWallClock
) -> None:
    sensor = DoorSensor(DOOR, pin_factory=factory, clock=clock.monotonic)
    switch = shut_switch(factory, clock)
    opened, closed = watched(sensor)
    switch.open()
    assert sensor.is_open and opened == ["opened"] and closed == []
    clock.advance(5)
    switch.close()
    assert not sensor.is_open and opened == ["opened"] and closed == ["closed"]
    assert switch.pin.edges_seen == 2 * (2 * switch.chatter + 1)  # it really bounced
    sensor.close()


def test_chatter_does_not_restart_the_held_open_time(
    factory: ClockedMockFactory, clock: FakeWallClock
) -> None:
    sensor = DoorSensor(DOOR, pin_factory=factory, clock=clock.monotonic, held_open_after=30)
    switch = shut_switch(factory, clock)
    switch.contact_s = 0.01  # a slow, dirty contact: 80 ms of chatter, within the bounce time
    opened_at = clock.monotonic()
    switch.open()
    clock.advance(30 - (clock.monotonic() - opened_at))
    assert sensor.held_open  # 30 s after the door first opened, not after its last chatter
    sensor.close()


def test_without_debounce_the_same_switch_reports_every_bounce(
    factory: ClockedMockFactory, clock: FakeWallClock
) -> None:
    """The control: what the kiosk would see with no bounce time."""
    sensor = DoorSensor(DOOR, pin_factory=factory, clock=clock.monotonic, bounce_time=None)
    switch = shut_switch(factory, clock)
    opened, closed = watched(sensor)
    switch.open()
    assert len(opened) == switch.chatter + 1 and len(closed) == switch.chatter
    sensor.close()


def test_a_door_opened_again_after_the_bounce_time_is_a_new_opening(
    factory: ClockedMockFactory, clock: FakeWallClock
) -> None:
    sensor = DoorSensor(DOOR, pin_factory=factory, clock=clock.monotonic)
    switch = shut_switch(factory, clock)
    opened, closed = watched(sensor)
    for _ in range(3):
        switch.open()
        clock.advance(0.5)
        switch.close()
        clock.advance(0.5)
    assert opened == ["opened"] * 3 and closed == ["closed"] * 3
    sensor.close()
