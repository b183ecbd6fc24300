"""A kiosk's broken devices reach the hub's kiosk page: a badge reader that is unplugged (through
the fake MFRC522 at the SPI level) shows up as a fault, and goes away when it answers again."""

from __future__ import annotations

from kiosk.app import Devices
from kiosk.drivers.rfid import MFRC522, BadgeReader
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.harness import Cage
from tests.waiting import wait_until


def faults(cage: Cage, kiosk_id: str) -> tuple[str, ...]:
    return next(k.faults for k in cage.store.kiosk_views() if k.id == kiosk_id)


def test_an_unplugged_reader_is_reported_to_the_hub_until_it_answers(cage: Cage) -> None:
    chip = FakeMFRC522Chip()
    chip.unplug()
    reader = BadgeReader(MFRC522(chip), cage.clock.monotonic)
    kiosk = cage.kiosk("cage-1", Devices(badges=reader, faults={"camera": "not available: x"}))
    kiosk.wait_replica(10)
    wait_until(lambda: any(f.startswith("badge reader: ") for f in faults(cage, "cage-1")), "fault")
    assert "camera: not available: x" in faults(cage, "cage-1")
    assert any("no MFRC522 answered" in f for f in faults(cage, "cage-1"))

    chip.replug()
    cage.clock.advance(3)  # past the reader's retry time, and a session tick
    wait_until(lambda: reader.healthy, "the reader never recovered")
    cage.clock.advance(1)  # the next tick tells the hub
    wait_until(lambda: faults(cage, "cage-1") == ("camera: not available: x",), "still faulty")
    chip.place_card(bytes.fromhex("04A1B2C3"))
    kiosk.wait_for_screen(lambda s: type(s).__name__ == "CartScreen", 5)
