"""The cage door: a staff badge unlocks it through the real gpiozero relay code, it relocks on
time, and a door held open sounds the alarm. Where a PIN is required (the default), the badge
read by the real MFRC522 driver opens the PIN pad drawn by the real display, and only its
owner's PIN, checked against the hash the hub sent in the replica, energises the relay; five
wrong ones lock that badge out at the kiosk and the hub records it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from functools import partial

import pygame
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.app import Devices, KioskApp
from kiosk.drivers.display import Display
from kiosk.drivers.gpio import DoorLock, DoorSensor, GpioPins, LedIndicator
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.replica import Replica
from kiosk.screens import CartScreen, DeniedScreen, IdleScreen, PinScreen, Screen
from kiosk.session import (
    DOOR_ALARM_TEXT,
    DOOR_UNLOCKED,
    NO_PIN_TEXT,
    PIN_LOCKED_TITLE,
    DoorSettings,
    PinEnter,
    PinKey,
    Profile,
    wrong_pin_text,
)
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.harness import STAFF_BADGE, Cage
from wire.pins import hash_pin

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
    indicator = LedIndicator(GpioPins(buzzer=BUZZER), pin_factory=factory, clock=mono)
    devices = Devices(
        indicator=indicator,
        door=DoorLock(RELAY, pin_factory=factory, clock=mono),
        door_sensor=DoorSensor(REED, pin_factory=factory, clock=mono, held_open_after=30),
    )
    factory.pin(REED).drive_low()  # door shut
    door = cage.kiosk("door-1", devices, profile=Profile.STATION)  # no PIN: as before
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


PIN = "2468"
KIM_BADGE = "0E0E0E0E"


@pytest.fixture
def panel() -> Iterator[Display]:
    shown = Display()
    shown.open(size=(800, 480), fullscreen=False)
    yield shown
    shown.close()


def tap(panel: Display, action: str, code: str | None = None) -> None:
    """A touch on a drawn button, as SDL delivers it."""
    report = panel.last_report
    assert report is not None
    button = report.button(action, code)
    assert button is not None, f"no {action} {code} on screen"
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=button.rect.center, touch=False)
    )


def dots(n: int, screen: Screen) -> bool:
    return isinstance(screen, PinScreen) and screen.entered == n


def tries_left(left: int, screen: Screen) -> bool:
    return isinstance(screen, PinScreen) and screen.message == wrong_pin_text(left)


def type_pin(kiosk: KioskApp, panel: Display, pin: str) -> None:
    """Key by key on the pad, each seen on screen as one more dot, then Unlock."""
    for n, digit in enumerate(pin, 1):
        tap(panel, "key", digit)
        kiosk.wait_for_screen(partial(dots, n), 5)
    tap(panel, "enter")


def sams_pin(replica: Replica) -> bool:
    sam = replica.person_by_badge(STAFF_BADGE)
    return sam is not None and sam.pin is not None


def pin_pad(screen: Screen) -> bool:
    return isinstance(screen, PinScreen) and screen.entered == 0


def test_a_staff_badge_opens_the_door_only_with_its_owners_pin(
    cage: Cage, factory: MockFactory, panel: Display
) -> None:
    chip = FakeMFRC522Chip()
    mono = cage.clock.monotonic
    devices = Devices(
        badges=BadgeReader(MFRC522(chip), mono),
        display=panel,
        door=DoorLock(RELAY, pin_factory=factory, clock=mono),
    )
    cage.store.add_person("kim", "Kim Staff", [KIM_BADGE], staff=True)  # no PIN set
    door = cage.kiosk("door-1", devices, profile=Profile.STATION, door=DoorSettings())
    door.wait_replica(10)

    def badge(uid: str) -> None:
        chip.place_card(bytes.fromhex(uid))
        door.wait_for_screen(lambda s: not (isinstance(s, IdleScreen) and s.message is None), 5)
        chip.remove_card()

    # before a manager sets Sam's PIN, the badge alone opens nothing
    badge(STAFF_BADGE)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message == NO_PIN_TEXT, 5)
    assert not factory.pin(RELAY).state

    # the manager sets it at the hub; the kiosk has its hash with the next replica update
    cage.store.set_pin("sam", hash_pin(PIN), cage.clock.now(), "test")
    door.wait_replica(10, until=sams_pin)
    cage.clock.advance(10)  # the message goes
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)

    badge(STAFF_BADGE)
    door.wait_for_screen(pin_pad, 5)
    type_pin(door, panel, "1357")
    door.wait_for_screen(
        lambda s: isinstance(s, PinScreen) and s.message == wrong_pin_text(4) and not s.entered, 5
    )
    assert not factory.pin(RELAY).state  # a wrong PIN opens nothing

    type_pin(door, panel, PIN)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message == DOOR_UNLOCKED, 5)
    wait_for_pin(factory, RELAY, high=True)
    cage.clock.advance(6)  # relocks on time
    wait_for_pin(factory, RELAY, high=False)
    cage.clock.advance(10)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)

    # five wrong PINs in a row: locked out at this kiosk, the hub told, the relay never moved
    moves = len(factory.pin(RELAY).states)
    badge(STAFF_BADGE)
    door.wait_for_screen(pin_pad, 5)
    for left in (4, 3, 2, 1):
        type_pin(door, panel, "9731")
        door.wait_for_screen(partial(tries_left, left), 5)
    type_pin(door, panel, "9731")
    locked = door.wait_for_screen(lambda s: isinstance(s, DeniedScreen), 5)
    assert isinstance(locked, DeniedScreen) and locked.title == PIN_LOCKED_TITLE
    assert len(factory.pin(RELAY).states) == moves and not factory.pin(RELAY).state

    # the badge is refused at the door, even before its PIN is asked
    cage.clock.advance(10)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)
    badge(STAFF_BADGE)
    refused = door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and bool(s.message), 5)
    assert isinstance(refused, IdleScreen) and refused.message
    assert "Too many wrong PINs" in refused.message and not factory.pin(RELAY).state

    # a staff member without a PIN is sent to a manager, not through the door
    cage.clock.advance(10)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)
    badge(KIM_BADGE)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message == NO_PIN_TEXT, 5)

    # after the lockout (five minutes), the right PIN opens it again
    cage.clock.advance(300)
    door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)
    badge(STAFF_BADGE)
    door.wait_for_screen(pin_pad, 5)
    type_pin(door, panel, PIN)
    wait_for_pin(factory, RELAY, high=True)

    assert door.link is not None and door.link.wait_drained(10)
    rows = [(r.type, r.person, r.reason) for r in cage.store.ledger_rows()]
    assert rows == [
        ("door_unlocked", "sam", None),
        ("denied", "sam", "pin_lockout"),
        ("door_unlocked", "sam", None),
    ]
    history = cage.store.ledger_rows()
    assert history[0].at < history[1].at < history[2].at


def test_open_door_in_a_staff_session_asks_for_the_pin(
    cage: Cage, factory: MockFactory, panel: Display
) -> None:
    cage.store.set_pin("sam", hash_pin(PIN), cage.clock.now(), "test")
    devices = Devices(
        display=panel, door=DoorLock(RELAY, pin_factory=factory, clock=cage.clock.monotonic)
    )
    kiosk = cage.kiosk("cage-1", devices, door=DoorSettings())
    kiosk.wait_replica(10, until=sams_pin)
    kiosk.submit(kiosk.badge(STAFF_BADGE))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.staff, 5)
    tap(panel, "unlock")
    kiosk.wait_for_screen(pin_pad, 5)
    tap(panel, "cancel")  # Cancel goes back to the session, door shut
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.staff, 5)
    assert not factory.pin(RELAY).state
    tap(panel, "unlock")
    kiosk.wait_for_screen(pin_pad, 5)
    type_pin(kiosk, panel, PIN)
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.message == DOOR_UNLOCKED, 5)
    wait_for_pin(factory, RELAY, high=True)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [row] = cage.store.ledger_rows()
    assert (row.type, row.person) == ("door_unlocked", "sam")


def test_a_lockout_outlives_a_restart_of_the_kiosk(cage: Cage) -> None:
    """Turning a door station off and on does not give a badge its tries back."""
    cage.store.set_pin("sam", hash_pin(PIN), cage.clock.now(), "test")
    door = cage.kiosk("door-1", profile=Profile.STATION, door=DoorSettings())
    door.wait_replica(10, until=sams_pin)
    for _ in range(5):
        door.submit(door.badge(STAFF_BADGE))
        door.wait_for_screen(pin_pad, 5)
        for digit in "9731":
            door.submit(PinKey(digit))
        door.submit(PinEnter())
        door.wait_for_screen(lambda s: not pin_pad(s), 5)
    door.wait_for_screen(lambda s: isinstance(s, DeniedScreen), 5)
    assert door.link is not None and door.link.wait_drained(10)
    cage.close_kiosk(door)

    again = cage.kiosk("door-1", profile=Profile.STATION, door=DoorSettings())
    again.wait_replica(10, until=sams_pin)
    again.submit(again.badge(STAFF_BADGE))
    refused = again.wait_for_screen(lambda s: isinstance(s, IdleScreen) and bool(s.message), 5)
    assert isinstance(refused, IdleScreen) and refused.message
    assert refused.message.startswith("Too many wrong PINs")
    cage.clock.advance(301)  # the five minutes run on the clock, across the restart
    again.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.message is None, 5)
    again.submit(again.badge(STAFF_BADGE))
    again.wait_for_screen(pin_pad, 5)
    assert [r.reason for r in cage.store.ledger_rows()] == ["pin_lockout"]
