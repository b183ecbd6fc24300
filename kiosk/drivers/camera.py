"""Camera capture (picamera2) and QR decoding (pyzbar).

The camera runs a small YUV420 stream and only its luminance plane is decoded: grayscale is all
a QR decoder needs, and it keeps a Pi Zero 2 W fast enough. Only QR symbols are decoded.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pyzbar.pyzbar import ZBarSymbol, decode

from kiosk.errors import CameraError

log = logging.getLogger(__name__)

Gray = NDArray[np.uint8]


class CameraDevice(Protocol):
    """The part of ``picamera2.Picamera2`` the scanner uses."""

    def create_video_configuration(self, main: dict[str, Any], **kwargs: Any) -> Any: ...
    def configure(self, config: Any) -> None: ...
    def start(self) -> None: ...
    def capture_array(self, name: str = "main") -> Any: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


Decoder = Callable[[Gray], list[str]]


def decode_qr(gray: Gray) -> list[str]:
    """Texts of the QR codes in a grayscale frame found by pyzbar, each once, in reading order."""
    found = decode(gray, symbols=[ZBarSymbol.QRCODE])
    found.sort(key=lambda s: (s.rect.top, s.rect.left))
    texts: list[str] = []
    for symbol in found:
        text = symbol.data.decode("utf-8", errors="replace")
        if text not in texts:
            texts.append(text)
    return texts


def zxing_decoder() -> Decoder | None:
    """zxing-cpp's QR reader, when it is installed: it reads small, faint and tilted codes that
    pyzbar misses, at a fifth of the time, while pyzbar copes better with glare (see bench.qr)."""
    try:
        import zxingcpp
    except ImportError:
        return None
    qr_only: Any = zxingcpp.BarcodeFormat.QRCode  # stubs differ between releases

    def read(gray: Gray) -> list[str]:
        texts: list[str] = []
        for found in zxingcpp.read_barcodes(gray, formats=qr_only):
            if found.text not in texts:
                texts.append(str(found.text))
        return texts

    return read


def default_decoders() -> list[Decoder]:
    """The decoders a scanner takes turns with, one per frame."""
    zxing = zxing_decoder()
    return [zxing, decode_qr] if zxing is not None else [decode_qr]


class QrScanner:
    """Reports a code when it comes into view; a code held in view is reported once.

    With several decoders it takes turns, one per frame: a label is in view for many frames, so
    it meets each decoder's strengths at the cost of one decode per frame.
    """

    def __init__(
        self,
        camera: CameraDevice,
        size: tuple[int, int] = (640, 480),
        forget_after_frames: int = 5,
        decoders: list[Decoder] | None = None,
    ) -> None:
        self.camera = camera
        self.decoders = decoders or default_decoders()
        self.size = size
        self.forget_after_frames = forget_after_frames
        self._absent: dict[str, int] = {}
        self._started = False
        self.healthy = True
        self.last_error: str | None = None
        self.frames = 0
        self.decode_seconds = 0.0

    def start(self) -> None:
        try:
            config = self.camera.create_video_configuration(
                main={"size": self.size, "format": "YUV420"}
            )
            self.camera.configure(config)
            self.camera.start()
        except Exception as exc:
            self._fail(f"cannot start the camera: {exc}")
        self._started = True

    def stop(self) -> None:
        if self._started:
            try:
                self.camera.stop()
            finally:
                self._started = False

    def poll(self) -> list[str]:
        try:
            frame = self.camera.capture_array("main")
        except Exception as exc:
            self._fail(f"the camera stopped delivering frames: {exc}")
        gray = np.ascontiguousarray(np.asarray(frame, dtype=np.uint8)[: self.size[1], :])
        started = time.perf_counter()
        texts = self.decoders[self.frames % len(self.decoders)](gray)
        self.decode_seconds += time.perf_counter() - started
        self.frames += 1
        self.healthy, self.last_error = True, None
        return self._new_in_view(texts)

    def _new_in_view(self, texts: list[str]) -> list[str]:
        fresh = [t for t in texts if t not in self._absent]
        for text in list(self._absent):
            if text in texts:
                self._absent[text] = 0
            else:
                self._absent[text] += 1
                if self._absent[text] >= self.forget_after_frames:
                    del self._absent[text]
        for text in fresh:
            self._absent[text] = 0
        return fresh

    def _fail(self, message: str) -> None:
        self.healthy, self.last_error = False, message
        raise CameraError(message)


class SimulatedScanner:
    """Codes typed or scripted on a laptop, in place of a camera."""

    def __init__(self) -> None:
        self._codes: queue.Queue[str] = queue.Queue()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def show(self, text: str) -> None:
        self._codes.put(text)

    def poll(self) -> list[str]:
        codes: list[str] = []
        while True:
            try:
                codes.append(self._codes.get_nowait())
            except queue.Empty:
                return codes


def open_camera() -> CameraDevice:
    """The Pi camera; picamera2 exists only on Raspberry Pi OS, so it is imported here."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise CameraError(
            "picamera2 is not installed: on Raspberry Pi OS run 'apt install python3-picamera2' "
            "and create the kiosk venv with --system-site-packages"
        ) from exc
    camera: CameraDevice = Picamera2()
    return camera
