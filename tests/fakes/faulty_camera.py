"""A fake Picamera2 that goes wrong the ways a Pi camera does, under the real scanner: captures
that fail for a while (a frontend timeout, a loose ribbon cable) and captures that hang, waiting
for a frame the sensor never sends."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tests.fakes.camera import FakePicamera2


class FaultyPicamera2(FakePicamera2):
    """``fail_next_captures(n)``: the next n captures raise, then frames come again.
    ``hang()``: captures wait for a frame until ``resume()``; a capture waiting when the camera
    is stopped or closed fails instead (the frame it waited for will never come)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failing = 0
        self._hung = False
        self._wake = threading.Condition()
        self.waiting = threading.Event()  # set while a capture hangs

    def fail_next_captures(self, times: int) -> None:
        with self._wake:
            self._failing = times

    def hang(self) -> None:
        with self._wake:
            self._hung = True

    def resume(self) -> None:
        with self._wake:
            self._hung = False
            self._wake.notify_all()

    def stop(self) -> None:
        super().stop()
        with self._wake:
            self._wake.notify_all()

    def close(self) -> None:
        super().close()
        with self._wake:
            self._wake.notify_all()

    def capture_array(self, name: str = "main") -> NDArray[np.uint8]:
        self._before_capture()
        return super().capture_array(name)

    def capture_arrays(self, names: list[str]) -> tuple[list[NDArray[np.uint8]], dict[str, Any]]:
        self._before_capture()
        return super().capture_arrays(names)

    def _before_capture(self) -> None:
        """What goes wrong with this capture, if anything: it fails, or it waits."""
        with self._wake:
            if self._failing:
                self._failing -= 1
                raise RuntimeError("Camera frontend has timed out!")
            if self._hung and self.started:
                self.waiting.set()
                self._wake.wait_for(lambda: not self._hung or not self.started)
                self.waiting.clear()
                if self._hung:
                    raise RuntimeError("the camera was stopped while waiting for a frame")
