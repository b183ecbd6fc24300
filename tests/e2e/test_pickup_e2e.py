"""A reservation picked up on real parts: a booking made on the hub reaches the kiosk over the
broker; the booker's badge on the (fake) reader chip brings up their reservation, drawn by
pygame; its label in front of the (fake) camera lends it until the window ends; the hub records
the booking picked up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kiosk.app import Devices
from kiosk.drivers.camera import QrScanner
from kiosk.drivers.display import Display
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.screens import CartScreen, ReceiptScreen
from kiosk.session import Confirm
from tests.fakes.camera import FakePicamera2
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.harness import Cage


@pytest.fixture
def parts(cage: Cage) -> Iterator[tuple[FakeMFRC522Chip, FakePicamera2, Display, Devices]]:
    chip = FakeMFRC522Chip()
    camera = FakePicamera2()
    display = Display()
    display.open(size=(800, 480), fullscreen=False)
    devices = Devices(
        badges=BadgeReader(MFRC522(chip), cage.clock.monotonic),
        codes=QrScanner(camera),
        display=display,
    )
    yield chip, camera, display, devices


def _drawn(display: Display) -> str:
    report = display.last_report
    assert report is not None
    return " ".join(report.strings())


def test_the_booker_taps_sees_the_reservation_and_picks_it_up(
    cage: Cage, parts: tuple[FakeMFRC522Chip, FakePicamera2, Display, Devices]
) -> None:
    chip, camera, display, devices = parts
    kiosk = cage.kiosk("cage-1", devices)
    kiosk.wait_replica(10)
    now = cage.clock.now()  # 09:30 UTC
    ends = now + timedelta(hours=4)
    booking = cage.store.add_booking("CAM-0001", "ada", now - timedelta(minutes=30), ends, now)
    kiosk.wait_replica(10, until=lambda r: bool(getattr(r.item("CAM-0001"), "bookings", ())))

    chip.place_card(bytes.fromhex("04A1B2C3"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.reserved), 10)
    chip.remove_card()
    shown = _drawn(display)
    assert "Your reservation: Canon C70 cinema camera, until 13:30" in shown
    assert "To scan" in shown

    camera.show("CK1:CAM-0001")
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 1, 10)
    camera.clear()
    assert "To scan" not in _drawn(display)  # nothing of the reservation is left to scan
    kiosk.submit(Confirm())
    receipt = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 10)
    assert isinstance(receipt, ReceiptScreen) and receipt.lines[0].due == ends

    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [row] = cage.store.ledger_rows()
    assert (row.type, row.person, row.asset, row.due) == ("checkout", "ada", "CAM-0001", ends)
    [b] = [b for b in cage.store.bookings_between(now, ends) if b.id == booking]
    assert b.state == "picked up"
