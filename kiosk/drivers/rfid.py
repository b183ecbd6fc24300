"""Badge reading with an MFRC522 over SPI, without blocking and without RPi.GPIO.

The driver speaks to the chip's registers directly over gpiozero's SPI interface (the pin
factory's: lgpio's on a Pi 5, spidev's through RPi.GPIO's or the native factory elsewhere), so it
runs unchanged on a Pi 4, a Pi 5 (where RPi.GPIO fails with "Cannot determine SOC peripheral base
address") and a Zero 2 W;
tie the reader's RST pin high or drive it high with gpiozero (held low, the chip stays powered
down and never answers). Each ``poll`` is one short exchange (wake, anticollision, select, halt),
so the UI and the camera never wait on the reader. UIDs of 4, 7 and 10 bytes are read through the
ISO/IEC 14443-3 cascade levels.

A reader can be missing at boot, unplugged and plugged back in, or power-cycled by a glitch; a
chip that lost power comes back with its registers at reset values (antenna off, timer
unconfigured) and no SPI error at all. So each ``MFRC522.poll`` first reads TxControlReg (one
register read) and raises ReaderError if the chip no longer answers or its antenna is off, and
``BadgeReader`` initialises the chip itself on its first poll and again after any ReaderError, at
most once every ``retry_after`` seconds, until it answers.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.errors import ReaderError

# registers (MFRC522 datasheet, section 9)
COMMAND, COM_IRQ, ERROR, FIFO_DATA, FIFO_LEVEL = 0x01, 0x04, 0x06, 0x09, 0x0A
CONTROL, BIT_FRAMING, MODE, TX_CONTROL, TX_ASK = 0x0C, 0x0D, 0x11, 0x14, 0x15
T_MODE, T_PRESCALER, T_RELOAD_H, T_RELOAD_L, VERSION = 0x2A, 0x2B, 0x2C, 0x2D, 0x37
# commands
IDLE, TRANSCEIVE, SOFT_RESET = 0x00, 0x0C, 0x0F
# ComIrqReg bits
TIMER_IRQ, RX_IRQ, IDLE_IRQ = 0x01, 0x20, 0x10
# ErrorReg bits
PROTOCOL_ERR, PARITY_ERR, CRC_ERR, COLL_ERR, BUFFER_OVFL = 0x01, 0x02, 0x04, 0x08, 0x10
# ISO/IEC 14443-3 type A
WUPA, HLTA, CASCADE_TAG = 0x52, 0x50, 0x88
SELECT_LEVELS = (0x93, 0x95, 0x97)
KNOWN_VERSIONS = {0x88, 0x90, 0x91, 0x92, 0xB2}
_MAX_IRQ_READS = 2000
ANTENNA_ON = 0x03  # TxControlReg Tx1RFEn | Tx2RFEn
FLOATING = (0x00, 0xFF)  # what a read gives with nobody driving MISO

log = logging.getLogger(__name__)


class SpiDevice(Protocol):
    """The part of gpiozero's SPI interface the driver uses: one full-duplex transfer with the
    chip selected throughout (a register access is one)."""

    def transfer(self, data: list[int]) -> list[int]: ...
    def close(self) -> None: ...


class CardError(ReaderError):
    """A card exchange went wrong (moved away, two cards at once); the next poll may succeed."""


def crc_a(data: bytes) -> bytes:
    """The ISO/IEC 14443-A frame CRC (preset 0x6363), low byte first."""
    crc = 0x6363
    for byte in data:
        b = (byte ^ crc) & 0xFF
        b = (b ^ (b << 4)) & 0xFF
        crc = ((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)) & 0xFFFF
    return bytes((crc & 0xFF, crc >> 8))


class MFRC522:
    def __init__(self, spi: SpiDevice) -> None:
        self.spi = spi
        self._interrupted = False

    # register access -------------------------------------------------------------------------

    def read(self, reg: int) -> int:
        return self.spi.transfer([0x80 | ((reg << 1) & 0x7E), 0])[1]

    def write(self, reg: int, *values: int) -> None:
        self.spi.transfer([(reg << 1) & 0x7E, *values])

    def _set_bits(self, reg: int, mask: int) -> None:
        self.write(reg, self.read(reg) | mask)

    def _clear_bits(self, reg: int, mask: int) -> None:
        self.write(reg, self.read(reg) & ~mask & 0xFF)

    # set-up ----------------------------------------------------------------------------------

    def init(self) -> int:
        """Reset and configure the chip; returns its version, or ReaderError if none answers.

        Safe to call again at any time, e.g. after the reader was unplugged or power-cycled."""
        self._interrupted = False
        self.write(COMMAND, SOFT_RESET)
        version = self.read(VERSION)
        if version not in KNOWN_VERSIONS:
            raise ReaderError(
                f"no MFRC522 answered on SPI (version register reads 0x{version:02X}); "
                "check the reader's cable and 3.3 V power, that its RST pin is high "
                "and that SPI is enabled"
            )
        self.write(T_MODE, 0x8D)  # timer starts after each transmission...
        self.write(T_PRESCALER, 0x3E)  # ...ticking at about 2 kHz...
        self.write(T_RELOAD_H, 0x00)
        self.write(T_RELOAD_L, 0x32)  # ...so a silent card times out after ~25 ms
        self.write(TX_ASK, 0x40)  # 100 % ASK modulation, as type A needs
        self.write(MODE, 0x3D)  # CRC preset 0x6363
        self._set_bits(TX_CONTROL, ANTENNA_ON)
        tx_control = self.read(TX_CONTROL)
        if tx_control in FLOATING or tx_control & ANTENNA_ON != ANTENNA_ON:
            raise ReaderError(
                f"the reader's antenna did not switch on (TxControlReg reads 0x{tx_control:02X}); "
                "check the reader's SPI wiring (MOSI)"
            )
        return version

    def _check_configured(self) -> None:
        """One register read: ReaderError if the chip stopped answering or was reset since
        ``init`` (after a power cycle its antenna is off and it would never see a card)."""
        tx_control = self.read(TX_CONTROL)
        if tx_control in FLOATING:
            raise ReaderError(
                "the reader stopped answering on SPI (unplugged?); check its cable and power"
            )
        if tx_control & ANTENNA_ON != ANTENNA_ON:
            raise ReaderError(
                "the reader was reset (replugged, or a power glitch): its antenna is off; "
                "if this recurs, check its power supply and cable"
            )

    # exchanges ---------------------------------------------------------------------------------

    def transceive(self, frame: bytes, last_bits: int = 0) -> bytes | None:
        """Send a frame and return the card's answer; None when no card answered in time."""
        self.write(COMMAND, IDLE)
        self.write(COM_IRQ, 0x7F)
        self.write(FIFO_LEVEL, 0x80)
        self.write(FIFO_DATA, *frame)
        self.write(COMMAND, TRANSCEIVE)
        self.write(BIT_FRAMING, 0x80 | (last_bits & 0x07))
        for _ in range(_MAX_IRQ_READS):
            irq = self.read(COM_IRQ)
            if irq & (RX_IRQ | IDLE_IRQ):
                break
            if irq & TIMER_IRQ:
                self._clear_bits(BIT_FRAMING, 0x80)
                return None
        else:
            raise ReaderError("the reader stopped answering on SPI (unplugged?)")
        self._clear_bits(BIT_FRAMING, 0x80)
        error = self.read(ERROR)
        if error == 0xFF:  # every error at once: MISO is floating high
            raise ReaderError(
                "the reader stopped answering on SPI (unplugged?); check its cable and power"
            )
        if error & BUFFER_OVFL:
            raise ReaderError("the reader's FIFO overflowed")
        if error & COLL_ERR:
            raise CardError("two cards at once; hold one badge to the reader")
        if error & (PROTOCOL_ERR | PARITY_ERR | CRC_ERR):
            raise CardError(f"garbled answer from the card (error 0x{error:02X})")
        count = self.read(FIFO_LEVEL) & 0x7F
        return bytes(self.read(FIFO_DATA) for _ in range(count))

    def poll(self) -> bytes | None:
        """One attempt: the UID of a card in the field (4, 7 or 10 bytes), or None.

        Raises CardError for a failed card exchange, and ReaderError if the chip stopped
        answering or was reset since ``init`` (call ``init`` again once it answers)."""
        self._check_configured()
        try:
            return self._read_uid()
        except CardError:
            self._interrupted = True
            raise

    def _read_uid(self) -> bytes | None:
        atqa = self.transceive(bytes([WUPA]), last_bits=7)
        if atqa is None and self._interrupted:
            # A card left half-way through an exchange answers only the wake-up after next.
            atqa = self.transceive(bytes([WUPA]), last_bits=7)
        self._interrupted = False
        if atqa is None:
            return None
        if len(atqa) != 2:
            raise CardError(f"odd answer to wake-up ({atqa.hex()})")
        uid = b""
        for level in SELECT_LEVELS:
            part = self.transceive(bytes([level, 0x20]))
            if part is None or len(part) != 5:
                raise CardError("the card left during anticollision")
            if part[0] ^ part[1] ^ part[2] ^ part[3] != part[4]:
                raise CardError("UID check byte mismatch")
            select = bytes([level, 0x70]) + part
            sak = self.transceive(select + crc_a(select))
            if sak is None or len(sak) != 3 or crc_a(sak[:1]) != sak[1:]:
                raise CardError("the card did not confirm selection")
            if part[0] == CASCADE_TAG:
                uid += part[1:4]
            else:
                uid += part[:4]
            if not sak[0] & 0x04:  # no cascade bit: the UID is complete
                halt = bytes([HLTA, 0x00])
                self.transceive(halt + crc_a(halt))  # silence means halted
                return uid
        raise CardError("UID longer than three cascade levels")


class BadgeReader:
    """Turns a stream of polls into taps: a card held on the reader is one tap; it must be away
    for ``release_after`` seconds before the same card counts again. A different card counts at
    once.

    The reader looks after its chip: the first ``poll`` initialises it, and after any ReaderError
    (no chip answering at boot, unplugged, reset by a power glitch) a later ``poll``
    re-initialises it, at most once every ``retry_after`` seconds by ``clock``, until it works.

    ``poll`` returns a tap's UID as upper-case hex, or None. It raises ReaderError only on the
    transition from working to not working (so a caller that logs each error logs one line per
    outage); while the reader stays broken it returns None quietly, and when the reader works
    again it logs that once at info level. ``healthy`` is True until that transition, then False
    until a poll succeeds again; ``last_error`` says what is wrong and what to check (None once a
    poll succeeds; a failed card exchange sets it too, without making the reader unhealthy).

    A card left on the reader across an outage is not a new tap when the reader comes back, as
    the card was never seen to leave; the same card counts again once it is seen away for
    ``release_after`` seconds, and a different card counts at once.
    """

    def __init__(
        self,
        chip: MFRC522,
        clock: Callable[[], float],
        release_after: float = 0.3,
        retry_after: float = 2.0,
    ) -> None:
        self.chip = chip
        self.clock = clock
        self.release_after = release_after
        self.retry_after = retry_after
        self._current: bytes | None = None
        self._last_seen = 0.0
        self._was_absent = False
        self._initialised = False
        self._last_init = -math.inf
        self.healthy = True
        self.last_error: str | None = None

    def poll(self) -> str | None:
        now = self.clock()
        try:
            if not self._initialised:
                if now - self._last_init < self.retry_after:
                    return None
                self._last_init = now
                self.chip.init()
                self._initialised = True
            uid = self.chip.poll()
        except CardError as exc:
            self.last_error = str(exc)
            return None
        except ReaderError as exc:
            self._failed(exc)
            return None
        if not self.healthy:
            log.info("badge reader: working again")
        self.healthy, self.last_error = True, None
        if uid is None:
            self._was_absent = True
            return None
        returning = (
            uid == self._current
            and self._was_absent
            and now - self._last_seen >= self.release_after
        )
        is_new = uid != self._current or returning
        self._current, self._last_seen, self._was_absent = uid, now, False
        return uid.hex().upper() if is_new else None

    def _failed(self, exc: ReaderError) -> None:
        """Re-initialise on a later poll; raise only if the reader was working until now."""
        self._initialised = False
        self.last_error = f"{exc}; retrying every {self.retry_after:g} s"
        if self.healthy:
            self.healthy = False
            raise ReaderError(self.last_error) from exc


class SimulatedBadgeReader:
    """Taps typed or scripted on a laptop, in place of a reader."""

    def __init__(self) -> None:
        self._taps: queue.Queue[str] = queue.Queue()
        self.healthy = True

    def tap(self, uid_hex: str) -> None:
        self._taps.put(uid_hex.upper())

    def poll(self) -> str | None:
        try:
            return self._taps.get_nowait()
        except queue.Empty:
            return None


def open_spi(
    bus: int = 0, device: int = 0, speed_hz: int = 1_000_000, pin_factory: Any | None = None
) -> SpiDevice:
    """The reader's SPI interface from gpiozero's pin factory (``pin_factory``, else the one
    gpiozero picks on this board). Where the board's SPI cannot be opened (SPI off, spidev
    missing), gpiozero drives the same pins in software: slower, but the reader still works,
    and the log says so."""
    from gpiozero import Device
    from gpiozero.exc import BadPinFactory, SPIFixedRate, SPISoftwareFallback

    try:
        if pin_factory is None:
            Device.ensure_pin_factory()
            pin_factory = Device.pin_factory
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SPISoftwareFallback)
            spi = pin_factory.spi(port=bus, device=device)
    except BadPinFactory as exc:
        raise ReaderError(
            f"no GPIO pin factory for SPI{bus}.{device} ({exc}): on a Pi, install the kiosk "
            "with its 'pi' extra (pip install '.[kiosk,pi]') and python3-lgpio"
        ) from exc
    except Exception as exc:  # the pins taken, a bad port: gpiozero's SPI errors
        raise ReaderError(f"cannot open SPI{bus}.{device}: {exc}") from exc
    for warning in caught:
        if issubclass(warning.category, SPISoftwareFallback):
            log.warning(
                "badge reader: %s; enable SPI (raspi-config nonint do_spi 0) for the "
                "hardware interface",
                warning.message,
            )
    spi.clock_mode = 0
    with contextlib.suppress(SPIFixedRate):  # bit-banged in software: as fast as the pins go
        spi.rate = speed_hz
    result: SpiDevice = spi
    return result
