"""QR decoding of grayscale frames (zxing-cpp, or pyzbar where zxing-cpp is missing), and which
of the codes read are new reads.

Only the luminance planes of YUV420 streams are decoded: grayscale is all a QR decoder needs.
Only QR symbols are decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]
Decoder = Callable[[Gray], list[str]]


def decode_qr(gray: Gray) -> list[str]:
    """Texts of the QR codes in a grayscale frame found by pyzbar, each once, in reading order."""
    from pyzbar.pyzbar import ZBarSymbol, decode  # loads libzbar: only where it is used

    found = decode(gray, symbols=[ZBarSymbol.QRCODE])
    found.sort(key=lambda s: (s.rect.top, s.rect.left))
    texts: list[str] = []
    for symbol in found:
        text = symbol.data.decode("utf-8", errors="replace")
        if text not in texts:
            texts.append(text)
    return texts


Found = tuple[list[str], list[tuple[int, int, int, int]]]


def zxing_reader() -> Callable[[Gray], Found] | None:
    """zxing-cpp's QR reader, when it is installed: the texts it decoded, and the bounds (x0,
    y0, x1, y1) of symbols it found but could not decode. Labels are dark on light and a QR
    reads at any rotation, so the inverted and rotated retries are skipped: they more than
    double the time of a frame with no code in it and found nothing more (bench.optics)."""
    try:
        import zxingcpp
    except ImportError:
        return None
    qr_only: Any = zxingcpp.BarcodeFormat.QRCode  # stubs differ between releases
    options: dict[str, Any] = {"try_rotate": False, "try_invert": False, "return_errors": True}

    def read(gray: Gray) -> Found:
        while True:
            try:
                results = zxingcpp.read_barcodes(gray, formats=qr_only, **options)
                break
            except TypeError:  # an older release without one of the options
                if not options:
                    raise
                options.popitem()
        texts: list[str] = []
        failed: list[tuple[int, int, int, int]] = []
        for found in results:
            if not getattr(found, "valid", True):
                p = found.position
                xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
                ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
                failed.append((min(xs), min(ys), max(xs), max(ys)))
            elif found.text not in texts:
                texts.append(str(found.text))
        return texts, failed

    return read


def zxing_decoder() -> Decoder | None:
    """zxing-cpp alone (see ``zxing_reader``), when it is installed."""
    reader = zxing_reader()
    if reader is None:
        return None
    return lambda gray: reader(gray)[0]


def default_decoder() -> Decoder:
    """zxing-cpp, and pyzbar where zxing-cpp found a symbol it could not decode; pyzbar alone
    where zxing-cpp is not installed.

    On modelled camera frames pyzbar read nothing zxing-cpp missed, at 5-10 times its time;
    on glare-washed codes it reads some that zxing-cpp finds and fails on (bench.qr). So it
    runs only on those, and only over the failed symbol's surroundings: a frame's result
    depends on the frame alone, and an empty frame costs one zxing-cpp pass."""
    reader = zxing_reader()
    if reader is None:
        return decode_qr

    def read(gray: Gray) -> list[str]:
        texts, failed = reader(gray)
        if texts or not failed:
            return texts
        for x0, y0, x1, y1 in failed:
            pad = max(x1 - x0, y1 - y0) // 2 + 8
            h, w = gray.shape[:2]
            region = gray[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)]
            texts += [t for t in decode_qr(np.ascontiguousarray(region)) if t not in texts]
        return texts

    return read


class RepeatFilter:
    """Which codes are new reads: a code counts again only after ``hold_s`` seconds unseen.

    Pure: the caller passes the time. A code held in view, flickering at the edge of range or
    shown again within ``hold_s`` is one read, however many frames that takes.
    """

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self._last_seen: dict[str, float] = {}

    def fresh(self, texts: list[str], now: float) -> list[str]:
        new = [
            t for t in texts if t not in self._last_seen or now - self._last_seen[t] > self.hold_s
        ]
        for text in texts:
            self._last_seen[text] = now
        for text, seen in list(self._last_seen.items()):
            if now - seen > self.hold_s:
                del self._last_seen[text]
        return new

    def reset(self) -> None:
        self._last_seen.clear()
