"""An SPI bus in front of the fake MFRC522 that fails the way the kernel's spidev does when the
bus itself goes wrong: ``OSError`` (EIO) from ``transfer``, an error the reader driver does not
expect, so it reaches whoever polls the reader."""

from __future__ import annotations

import errno
import threading

from tests.fakes.mfrc522_chip import FakeMFRC522Chip


class FailingSpi:
    def __init__(self, chip: FakeMFRC522Chip) -> None:
        self.chip = chip
        self._failing = 0
        self._lock = threading.Lock()

    def fail_next_transfers(self, times: int) -> None:
        with self._lock:
            self._failing = times

    def transfer(self, data: list[int]) -> list[int]:
        with self._lock:
            if self._failing:
                self._failing -= 1
                raise OSError(errno.EIO, "Input/output error")
        return self.chip.transfer(data)

    def close(self) -> None:
        self.chip.close()
