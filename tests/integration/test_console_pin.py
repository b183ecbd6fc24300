"""The door PIN on a laptop kiosk (``--simulate``): ``door`` opens the pad and ``pin DIGITS``
types the PIN and presses Unlock, through the same session inputs the screen's keys give."""

from __future__ import annotations

import io
from collections.abc import Iterator

from kiosk.app import Devices
from kiosk.console import run_console
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.screens import CartScreen, PinScreen
from kiosk.session import DOOR_UNLOCKED, DoorSettings, wrong_pin_text
from tests.e2e.test_door import sams_pin
from tests.harness import STAFF_BADGE, Cage
from wire.pins import hash_pin


def test_a_staff_member_types_the_door_pin_on_the_console(cage: Cage) -> None:
    cage.store.set_pin("sam", hash_pin("2468"), cage.clock.now(), "test")
    devices = Devices(badges=SimulatedBadgeReader(), codes=SimulatedScanner())
    kiosk = cage.kiosk("cage-1", devices, door=DoorSettings())
    kiosk.wait_replica(10, until=sams_pin)
    out = io.StringIO()

    def typed() -> Iterator[str]:
        yield f"tap {STAFF_BADGE}"
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.staff, 5)
        yield "door"
        kiosk.wait_for_screen(lambda s: isinstance(s, PinScreen), 5)
        yield "pin 1357"
        kiosk.wait_for_screen(
            lambda s: isinstance(s, PinScreen) and s.message == wrong_pin_text(4), 5
        )
        yield "screen"
        yield "pin 2468"
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.message == DOOR_UNLOCKED, 5)
        yield "quit"

    run_console(kiosk, typed(), out)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    assert [(r.type, r.person) for r in cage.store.ledger_rows()] == [("door_unlocked", "sam")]
    described = out.getvalue()
    assert "PinScreen: person_name=Sam Staff" in described and "1357" not in described
    assert "pin <digits>" not in described  # every line was understood
