"""The reader opened as a kiosk opens it, through gpiozero's SPI interface, with the fake chip
on the pins gpiozero clocks (its mock factory gives a software SPI over mock pins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.drivers.rfid import MFRC522, BadgeReader, SpiDevice, open_spi
from kiosk.errors import ReaderError
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.fakes.mfrc522_on_pins import MFRC522OnPins

UID7 = bytes.fromhex("04112233445566")


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """A mock pin factory, also gpiozero's default while the test runs (the mock SPI device
    takes its pins from the default)."""
    before = Device.pin_factory
    f = MockFactory()
    Device.pin_factory = f
    yield f
    f.reset()
    Device.pin_factory = before


@pytest.fixture
def wired(factory: MockFactory) -> Iterator[tuple[FakeMFRC522Chip, MFRC522OnPins, SpiDevice]]:
    """The fake chip on SPI0's pins and the interface the kiosk opens to it."""
    chip = FakeMFRC522Chip()
    pins = MFRC522OnPins(chip)
    spi = open_spi(bus=0, device=0, pin_factory=factory)
    yield chip, pins, spi
    spi.close()  # gpiozero shares a software bus between interfaces until the last closes
    pins.close()


def test_a_badge_is_read_through_the_pin_factorys_spi(
    wired: tuple[FakeMFRC522Chip, MFRC522OnPins, SpiDevice],
) -> None:
    chip, pins, spi = wired
    reader = BadgeReader(MFRC522(spi), Clock())
    assert reader.poll() is None and reader.healthy  # initialised over the pins: no card yet
    chip.place_card(UID7)
    assert reader.poll() == UID7.hex().upper()
    assert chip.antenna_on
    # the version register was read over the wires, the chip selected for the whole frame
    assert [0x80 | (0x37 << 1), 0x00] in pins.frames


def test_a_reader_unplugged_behind_the_pins_is_reported_and_recovers(
    wired: tuple[FakeMFRC522Chip, MFRC522OnPins, SpiDevice],
) -> None:
    chip, _, spi = wired
    clock = Clock()
    reader = BadgeReader(MFRC522(spi), clock)
    chip.place_card(UID7)
    assert reader.poll() == UID7.hex().upper()
    chip.unplug(miso=0xFF)
    with pytest.raises(ReaderError, match="stopped answering"):
        reader.poll()
    chip.replug()
    clock.t += reader.retry_after
    chip.remove_card()
    assert reader.poll() is None and reader.healthy


def test_a_second_reader_on_the_same_spi_device_is_refused_clearly(
    factory: MockFactory, wired: tuple[FakeMFRC522Chip, MFRC522OnPins, SpiDevice]
) -> None:
    with pytest.raises(ReaderError, match=r"cannot open SPI0\.0"):
        open_spi(pin_factory=factory)


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_no_pin_factory_off_a_pi_says_what_to_install() -> None:
    before = Device.pin_factory
    Device.pin_factory = None
    try:
        with pytest.raises(ReaderError, match="'pi' extra"):
            open_spi()
    finally:
        Device.pin_factory = before
