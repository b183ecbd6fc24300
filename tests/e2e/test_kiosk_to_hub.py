"""The foundation slice on real parts: a badge on the (fake) reader chip and a QR label in front
of the (fake) camera go through the real drivers, session, outbox, broker and hub ingest into one
committed ledger row, and the receipt is drawn by pygame."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pygame
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.app import Devices
from kiosk.drivers.camera import QrScanner
from kiosk.drivers.display import Display
from kiosk.drivers.gpio import GpioPins, LedIndicator
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.screens import CartScreen, ReceiptScreen
from tests.fakes.camera import FakePicamera2
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.harness import Cage

GREEN, RED, BUZZER = 17, 27, 22


@pytest.fixture
def hardware(
    cage: Cage,
) -> Iterator[tuple[FakeMFRC522Chip, FakePicamera2, Display, Devices, MockFactory]]:
    factory = MockFactory(pin_class=MockPWMPin)
    chip = FakeMFRC522Chip()
    reader_chip = MFRC522(chip)
    camera = FakePicamera2()
    display = Display()
    display.open(size=(800, 480), fullscreen=False)
    devices = Devices(
        badges=BadgeReader(reader_chip, cage.clock.monotonic),
        codes=QrScanner(camera),
        indicator=LedIndicator(
            GpioPins(green_led=GREEN, red_led=RED, buzzer=BUZZER), pin_factory=factory
        ),
        display=display,
    )
    yield chip, camera, display, devices, factory
    factory.reset()


def _tap(display: Display, button: str) -> None:
    report = display.last_report
    assert report is not None
    [target] = [b for b in report.buttons if b.action == button]
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=target.rect.center, touch=False)
    )


def test_badge_and_label_become_one_committed_checkout(
    cage: Cage,
    hardware: tuple[FakeMFRC522Chip, FakePicamera2, Display, Devices, MockFactory],
    tmp_path: Path,
) -> None:
    chip, camera, display, devices, factory = hardware
    kiosk = cage.kiosk("cage-1", devices)
    kiosk.wait_replica(10)

    chip.place_card(bytes.fromhex("04A1B2C3"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 10)
    chip.remove_card()
    camera.show("CK1:CAM-0001")
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 1, 10)
    camera.clear()
    _tap(display, "confirm")  # a touch on the screen's Confirm button
    receipt = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 10)
    assert isinstance(receipt, ReceiptScreen)

    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [row] = cage.store.ledger_rows()
    assert (row.type, row.person, row.asset, row.kiosk) == ("checkout", "ada", "CAM-0001", "cage-1")
    assert row.due == cage.clock.now() + timedelta(hours=48)
    assert kiosk.outbox.depth() == 0

    # the receipt was really drawn: names and due time on screen, inside it
    drawn = display.last_report
    assert drawn is not None
    texts = " ".join(t for t, _ in drawn.texts)
    assert "Ada Lovelace" in texts and "Canon C70" in texts and "Due" in texts
    width, height = display.size
    assert all(
        r.left >= 0 and r.top >= 0 and r.right <= width and r.bottom <= height
        for _, r in drawn.texts
    )
    shot = tmp_path / "receipt.png"
    display.screenshot(shot)
    assert pygame.image.load(str(shot)).get_size() == (800, 480)

    # the student saw and heard it: the green LED lit and the buzzer sounded
    assert any(state for state in _levels(factory, GREEN))
    assert any(state for state in _levels(factory, BUZZER))


def _levels(factory: MockFactory, pin: int) -> list[float]:
    return [s.state for s in factory.pin(pin).states]
