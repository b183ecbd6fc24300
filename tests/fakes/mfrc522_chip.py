"""A fake MFRC522 that answers SPI transfers as the chip does, with ISO/IEC 14443-A cards in its
field, so the real driver code (register access, FIFO, Transceive, cascade) is what is tested.

``unplug`` makes every SPI read give what a floating MISO line gives (0x00 or 0xFF) and drops
writes; ``replug`` powers the chip up again with its registers at their reset values (antenna
off, timer unconfigured), as a real reader plugged back in, or after a power glitch, comes back.
Whenever the antenna is off the cards in the field lose power and forget their state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kiosk.drivers.rfid import crc_a

COMMAND, COM_IRQ, ERROR, FIFO_DATA, FIFO_LEVEL = 0x01, 0x04, 0x06, 0x09, 0x0A
CONTROL, BIT_FRAMING, TX_CONTROL, VERSION = 0x0C, 0x0D, 0x14, 0x37
IDLE, TRANSCEIVE, SOFT_RESET = 0x00, 0x0C, 0x0F


class CardState(Enum):
    IDLE = "idle"
    READY = "ready"
    ACTIVE = "active"
    HALT = "halt"


@dataclass
class Card:
    uid: bytes
    sak: int = 0x08  # a MIFARE Classic 1K answers 0x08
    state: CardState = CardState.IDLE
    level: int = 0  # cascade level reached in READY

    def cascade(self) -> list[bytes]:
        """The UID as sent per cascade level (with the 0x88 cascade tag where needed)."""
        u = self.uid
        if len(u) == 4:
            return [u]
        if len(u) == 7:
            return [bytes([0x88]) + u[:3], u[3:]]
        return [bytes([0x88]) + u[:3], bytes([0x88]) + u[3:6], u[6:]]


@dataclass
class FakeMFRC522Chip:
    version: int = 0x92
    regs: dict[int, int] = field(default_factory=dict)
    fifo: list[int] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    unplugged: bool = False
    miso: int = 0x00  # what reads give while unplugged
    corrupt_frames: int = 0
    transactions: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        self._reset()

    # test controls -------------------------------------------------------------------------

    def place_card(self, uid: bytes, sak: int = 0x08) -> None:
        """A card enters the field; it powers up in IDLE."""
        self.cards.append(Card(uid, sak))

    def remove_card(self, uid: bytes | None = None) -> None:
        self.cards = [c for c in self.cards if uid is not None and c.uid != uid]

    def unplug(self, miso: int = 0x00) -> None:
        """The reader loses power and its SPI lines: reads give ``miso`` (0x00 or 0xFF, as a
        floating line reads), writes are lost."""
        self.unplugged, self.miso = True, miso
        self._field_off()

    def replug(self) -> None:
        """Power returns: the chip starts with its registers at their power-on values."""
        self.unplugged = False
        self._reset()

    def corrupt_next_frames(self, n: int) -> None:
        self.corrupt_frames = n

    @property
    def antenna_on(self) -> bool:
        return bool(self.regs[TX_CONTROL] & 0x03)

    # SPI ---------------------------------------------------------------------------------------

    def transfer(self, data: list[int]) -> list[int]:
        self.transactions += 1
        if self.unplugged:
            return [self.miso] * len(data)
        address = data[0]
        reg = (address >> 1) & 0x3F
        if address & 0x80:
            return [0] + [self._read(reg) for _ in data[1:]]
        for value in data[1:]:
            self._write(reg, value)
        return [0] * len(data)

    def close(self) -> None:
        self.closed = True

    # registers -------------------------------------------------------------------------------

    def _reset(self) -> None:
        self.regs = {r: 0 for r in range(0x40)}
        self.regs[VERSION] = self.version
        self.regs[TX_CONTROL] = 0x80
        self.regs[COM_IRQ] = 0x14
        self.fifo = []
        self._field_off()

    def _field_off(self) -> None:
        for card in self.cards:
            card.state, card.level = CardState.IDLE, 0

    def _read(self, reg: int) -> int:
        if reg == FIFO_DATA:
            return self.fifo.pop(0) if self.fifo else 0
        if reg == FIFO_LEVEL:
            return len(self.fifo)
        return self.regs[reg]

    def _write(self, reg: int, value: int) -> None:
        if reg == FIFO_DATA:
            self.fifo.append(value & 0xFF)
        elif reg == FIFO_LEVEL:
            if value & 0x80:
                self.fifo = []
        elif reg == COM_IRQ:
            if value & 0x80:
                self.regs[COM_IRQ] |= value & 0x7F
            else:
                self.regs[COM_IRQ] &= ~value & 0x7F
        elif reg == COMMAND:
            command = value & 0x0F
            if command == SOFT_RESET:
                self._reset()
            else:
                self.regs[COMMAND] = command
        elif reg == BIT_FRAMING:
            self.regs[BIT_FRAMING] = value
            if value & 0x80 and self.regs[COMMAND] == TRANSCEIVE:
                self._exchange(value & 0x07)
        elif reg != VERSION:
            self.regs[reg] = value & 0xFF
            if reg == TX_CONTROL and not self.antenna_on:
                self._field_off()

    # the air interface -------------------------------------------------------------------------

    def _exchange(self, last_bits: int) -> None:
        frame = bytes(self.fifo)
        self.fifo = []
        self.regs[ERROR] = 0
        self.regs[CONTROL] &= ~0x07 & 0xFF
        answer = self._answer(frame, last_bits) if self.antenna_on else None
        if answer is None:
            self.regs[COM_IRQ] |= 0x01  # timer ran out: nobody answered
            return
        if self.corrupt_frames:
            self.corrupt_frames -= 1
            self.regs[ERROR] |= 0x02  # parity error
        if answer == b"COLLISION":
            self.regs[ERROR] |= 0x08
            answer = b"\x00"
        self.fifo = list(answer)
        self.regs[COM_IRQ] |= 0x30  # RxIRq | IdleIRq

    def _answer(self, frame: bytes, last_bits: int) -> bytes | None:
        if last_bits == 7 and len(frame) == 1 and frame[0] in (0x26, 0x52):
            for card in self.cards:
                if card.state in (CardState.READY, CardState.ACTIVE):
                    card.state = CardState.IDLE  # an out-of-sequence wake-up resets a card
                    return None
            woken = [
                c
                for c in self.cards
                if c.state is CardState.IDLE or (frame[0] == 0x52 and c.state is CardState.HALT)
            ]
            for card in woken:
                card.state, card.level = CardState.READY, 0
            if not woken:
                return None
            return bytes([0x44 if len(woken[0].uid) > 4 else 0x04, 0x00])
        ready = [c for c in self.cards if c.state is CardState.READY]
        if len(frame) == 2 and frame[1] == 0x20 and frame[0] in (0x93, 0x95, 0x97):
            level = (0x93, 0x95, 0x97).index(frame[0])
            at_level = [c for c in ready if c.level == level]
            if len(at_level) > 1:
                return b"COLLISION"
            if not at_level:
                return None
            part = at_level[0].cascade()[level]
            return part + bytes([part[0] ^ part[1] ^ part[2] ^ part[3]])
        if len(frame) == 9 and frame[1] == 0x70 and frame[0] in (0x93, 0x95, 0x97):
            if crc_a(frame[:7]) != frame[7:]:
                return None
            level = (0x93, 0x95, 0x97).index(frame[0])
            for card in ready:
                parts = card.cascade()
                if card.level == level and parts[level] == frame[2:6]:
                    if level + 1 < len(parts):
                        card.level = level + 1
                        sak = 0x04
                    else:
                        card.state, sak = CardState.ACTIVE, card.sak
                    return bytes([sak]) + crc_a(bytes([sak]))
            for card in ready:
                card.state = CardState.IDLE
            return None
        if len(frame) == 4 and frame[:2] == b"\x50\x00" and crc_a(frame[:2]) == frame[2:]:
            for card in self.cards:
                if card.state is CardState.ACTIVE:
                    card.state = CardState.HALT
            return None
        return None
