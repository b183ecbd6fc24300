"""The fake MFRC522 wired to gpiozero's mock SPI pins (clock, MOSI, MISO, chip select), so a
test can open the reader exactly as a kiosk does, through the pin factory's SPI interface
(``open_spi``), and gpiozero's own software SPI clocks every bit to the fake chip.

A frame is what the master clocks between selecting the chip and releasing it. The chip answers
a register read in the byte after the address, as the real one does; a write takes effect when
the frame ends."""

from __future__ import annotations

from gpiozero.pins.mock import MockSPIDevice

from tests.fakes.mfrc522_chip import FakeMFRC522Chip

# BCM pins of SPI0 with chip select 0, where gpiozero looks for port 0, device 0
CLOCK, MOSI, MISO, SELECT = 11, 10, 9, 8


class MFRC522OnPins(MockSPIDevice):  # type: ignore[misc]  # gpiozero has no type hints
    """Needs ``gpiozero.Device.pin_factory`` to be the test's MockFactory: MockSPIDevice takes
    its pins from there."""

    def __init__(self, chip: FakeMFRC522Chip) -> None:
        super().__init__(CLOCK, MOSI, MISO, SELECT)
        self.chip = chip
        self.frames: list[list[int]] = []  # every frame the chip heard, for the test to read
        self._frame: list[int] = []

    def on_select(self) -> None:
        if self.select_pin.state == self.select_high:
            self.on_start()
        else:
            self._end()

    def on_start(self) -> None:
        super().on_start()
        self._frame = []

    def on_bit(self) -> None:
        if self.rx_bit % self.bits_per_word:
            return
        byte = self.rx_word()
        self.rx_buf: list[int] = []
        self._frame.append(byte)
        if len(self._frame) == 1 and byte & 0x80:  # a read: the value goes out in the next byte
            self.tx_word(self.chip.transfer([byte, 0])[1])

    def _end(self) -> None:
        frame, self._frame = self._frame, []
        if not frame:
            return
        self.frames.append(frame)
        if not frame[0] & 0x80:
            self.chip.transfer(frame)
