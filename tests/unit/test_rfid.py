"""The MFRC522 driver against a fake chip that answers SPI transfers like the real one."""

from __future__ import annotations

import logging
import sys

import pytest

from kiosk.drivers.rfid import MFRC522, BadgeReader, CardError, SimulatedBadgeReader, open_spi
from kiosk.errors import ReaderError
from tests.fakes.mfrc522_chip import FakeMFRC522Chip

UID4 = bytes.fromhex("04A1B2C3")
UID7 = bytes.fromhex("04112233445566")
UID10 = bytes.fromhex("04112233445566778899")


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def reader(chip: FakeMFRC522Chip, clock: Clock) -> BadgeReader:
    """As the app builds it: the reader initialises the chip itself on its first poll."""
    return BadgeReader(MFRC522(chip), clock, release_after=0.3)


@pytest.mark.parametrize("uid", [UID4, UID7, UID10])
def test_reads_uids_of_every_length(uid: bytes) -> None:
    chip = FakeMFRC522Chip()
    driver = MFRC522(chip)
    driver.init()
    assert driver.poll() is None
    chip.place_card(uid)
    assert driver.poll() == uid


def test_a_held_card_is_one_tap_and_a_retap_is_another() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    chip.place_card(UID4)
    taps = []
    for _ in range(20):
        taps.append(badges.poll())
        clock.t += 0.05
    assert [t for t in taps if t] == ["04A1B2C3"]
    chip.remove_card()
    assert badges.poll() is None
    clock.t += 0.4
    chip.place_card(UID4)
    assert badges.poll() == "04A1B2C3"


def test_a_brief_dropout_is_not_a_new_tap() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    chip.place_card(UID7)
    assert badges.poll() == "04112233445566"
    chip.remove_card()
    clock.t += 0.1
    assert badges.poll() is None
    chip.place_card(UID7)
    clock.t += 0.1
    assert badges.poll() is None


def test_a_different_card_counts_at_once() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    chip.place_card(UID4)
    assert badges.poll() == "04A1B2C3"
    chip.remove_card()
    chip.place_card(UID7)
    assert badges.poll() == "04112233445566"


def test_an_unplugged_reader_is_reported_not_crashed_on() -> None:
    chip = FakeMFRC522Chip()
    chip.unplug()
    with pytest.raises(ReaderError, match="no MFRC522 answered"):
        MFRC522(chip).init()

    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    assert badges.poll() is None and badges.healthy
    chip.unplug()
    with pytest.raises(ReaderError, match="stopped answering"):
        badges.poll()
    assert not badges.healthy and badges.last_error


@pytest.mark.parametrize("miso", [0x00, 0xFF])
def test_a_replugged_reader_reads_again_after_one_error(
    miso: int, caplog: pytest.LogCaptureFixture
) -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    assert badges.poll() is None
    chip.unplug(miso)
    with pytest.raises(ReaderError, match="unplugged"):
        badges.poll()
    assert not badges.healthy
    for _ in range(40):  # ten seconds unplugged: the app's log gets no more errors
        clock.t += 0.25
        assert badges.poll() is None
    assert not badges.healthy and badges.last_error and "cable" in badges.last_error
    chip.replug()
    clock.t += 2.0
    chip.place_card(UID4)
    with caplog.at_level(logging.INFO, logger="kiosk.drivers.rfid"):
        assert badges.poll() == "04A1B2C3"
        assert badges.poll() is None
    assert badges.healthy and badges.last_error is None and chip.antenna_on
    assert [r.getMessage() for r in caplog.records] == ["badge reader: working again"]


def test_a_reader_missing_at_boot_is_retried_every_retry_after_seconds() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    chip.unplug()
    badges = BadgeReader(MFRC522(chip), clock, release_after=0.3, retry_after=2.0)
    with pytest.raises(ReaderError, match=r"no MFRC522 answered.*RST pin is high"):
        badges.poll()
    assert not badges.healthy and badges.last_error and "SPI is enabled" in badges.last_error
    chip.replug()
    chip.place_card(UID4)
    clock.t += 1.5
    assert badges.poll() is None  # not retried yet
    assert not badges.healthy
    clock.t += 0.5
    assert badges.poll() == "04A1B2C3"
    assert badges.healthy and badges.last_error is None


def test_a_power_glitch_without_any_spi_error_is_noticed_and_recovered() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    assert badges.poll() is None
    clock.t += 60.0
    chip.unplug()
    chip.replug()  # between two polls: every transfer answers, the antenna is just off
    with pytest.raises(ReaderError, match="was reset"):
        badges.poll()
    assert not badges.healthy
    clock.t += 1.0  # the app waits a second after an error
    chip.place_card(UID7)
    assert badges.poll() == "04112233445566"
    assert badges.healthy and badges.last_error is None and chip.antenna_on


def test_a_card_held_across_a_recovery_is_one_tap() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    chip.place_card(UID4)
    assert badges.poll() == "04A1B2C3"
    clock.t += 0.25
    chip.unplug()
    chip.replug()
    with pytest.raises(ReaderError, match="was reset"):
        badges.poll()
    taps = []
    for _ in range(8):
        clock.t += 0.25
        taps.append(badges.poll())
    assert taps == [None] * 8 and badges.healthy
    chip.remove_card()
    assert badges.poll() is None
    clock.t += 0.5
    chip.place_card(UID4)
    assert badges.poll() == "04A1B2C3"


def test_garbled_frames_never_give_a_wrong_uid() -> None:
    chip, clock = FakeMFRC522Chip(), Clock()
    badges = reader(chip, clock)
    chip.place_card(UID4)
    chip.corrupt_next_frames(2)
    assert badges.poll() is None and badges.last_error and "garbled" in badges.last_error
    assert badges.healthy
    results = [badges.poll() for _ in range(3)]
    assert [r for r in results if r] == ["04A1B2C3"]


def test_two_cards_at_once_are_refused() -> None:
    chip = FakeMFRC522Chip()
    driver = MFRC522(chip)
    driver.init()
    chip.place_card(UID4)
    chip.place_card(bytes.fromhex("08AABBCC"))
    with pytest.raises(CardError, match="two cards"):
        driver.poll()


def test_the_antenna_is_switched_on() -> None:
    chip = FakeMFRC522Chip()
    chip.place_card(UID4)
    driver = MFRC522(chip)
    assert driver.transceive(bytes([0x52]), last_bits=7) is None  # antenna off: silence
    driver.init()
    assert chip.antenna_on and driver.poll() == UID4


def test_simulated_reader_and_missing_spidev(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedBadgeReader()
    sim.tap("04a1b2c3")
    assert sim.poll() == "04A1B2C3" and sim.poll() is None
    monkeypatch.setitem(sys.modules, "spidev", None)  # as on a machine without it
    with pytest.raises(ReaderError, match="'pi' extra"):
        open_spi()
