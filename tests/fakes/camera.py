"""A fake Picamera2 whose frames hold real QR codes (made with the qrcode library), so the real
scanner and the real pyzbar decode them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import qrcode
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter


@dataclass(frozen=True)
class QrPlacement:
    text: str
    x: int = 200
    y: int = 120
    module_px: int = 6
    rotate_deg: float = 0.0
    contrast: float = 1.0
    blur: float = 0.0
    scale: float = 1.0  # below 1: a label far from the camera, under two pixels per module
    tilt: float = 0.0  # 0..0.4: held at an angle, its right edge that much shorter
    glare: float = 0.0  # 0..1: a light's reflection over the label's upper left, its strength


def qr_image(p: QrPlacement) -> Image.Image:
    code = qrcode.QRCode(border=2, box_size=p.module_px)
    code.add_data(p.text)
    code.make(fit=True)
    img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    if p.scale != 1.0:
        size = (max(1, int(img.width * p.scale)), max(1, int(img.height * p.scale)))
        img = img.resize(size, Image.Resampling.BILINEAR)
    if p.tilt:
        img = _tilted(img, p.tilt)
    if p.rotate_deg:
        img = img.rotate(p.rotate_deg, expand=True, fillcolor=255)
    if p.contrast != 1.0:
        img = ImageEnhance.Contrast(img).enhance(p.contrast)
    if p.blur:
        img = img.filter(ImageFilter.GaussianBlur(p.blur))
    if p.glare:
        spot = Image.new("L", img.size, 0)
        r = img.width // 3
        ImageDraw.Draw(spot).ellipse((r // 2, r // 2, r // 2 + 2 * r, r // 2 + 2 * r), fill=255)
        spot = spot.filter(ImageFilter.GaussianBlur(r / 3))
        washed = np.asarray(img, np.float32) + p.glare * np.asarray(spot, np.float32)
        img = Image.fromarray(np.minimum(255, washed).astype(np.uint8))
    result: Image.Image = img
    return result


def _tilted(img: Image.Image, amount: float) -> Image.Image:
    """A true perspective view of the label turned away from the camera about its left edge:
    the right edge comes out ``amount`` shorter and the label narrower."""
    w, h = img.size
    near = [(0.0, 0.0), (0.0, float(h))]
    far = [(w * (1 - amount / 2), h * amount / 2), (w * (1 - amount / 2), h * (1 - amount / 2))]
    shown = [near[0], far[0], far[1], near[1]]  # where the label's corners land
    label = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    # PIL wants, for each shown pixel (x, y), where to read the label: solve the 8 projective
    # coefficients from the four corner pairs.
    rows, rhs = [], []
    for (x, y), (u, v) in zip(shown, label, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    coeffs = np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float))
    return img.transform(
        (w, h),
        Image.Transform.PERSPECTIVE,
        tuple(float(c) for c in coeffs),
        Image.Resampling.BILINEAR,
        fillcolor=255,
    )


class FakePicamera2:
    """Answers the calls QrScanner makes of ``picamera2.Picamera2``."""

    def __init__(self, background: int = 170) -> None:
        self.size = (640, 480)
        self.format = "YUV420"
        self.started = False
        self.closed = False
        self.captures = 0
        self._background = background
        self._scene: tuple[QrPlacement, ...] = ()
        self._fail_after: int | None = None
        self._lock = threading.Lock()
        self._frame: NDArray[np.uint8] | None = None

    def create_video_configuration(self, main: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        return {"use_case": "video", "main": dict(main)}

    def configure(self, config: dict[str, Any]) -> None:
        width, height = config["main"]["size"]
        self.size = (int(width), int(height))
        self.format = config["main"].get("format", "XBGR8888")

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True

    def show(self, *codes: str | QrPlacement) -> None:
        """What is in front of the camera from now on."""
        placed = tuple(c if isinstance(c, QrPlacement) else QrPlacement(c) for c in codes)
        with self._lock:
            self._scene = placed
            self._frame = None

    def clear(self) -> None:
        self.show()

    def fail_after(self, captures: int) -> None:
        self._fail_after = self.captures + captures

    def capture_array(self, name: str = "main") -> NDArray[np.uint8]:
        if not self.started:
            raise RuntimeError("Camera is not running")
        if self._fail_after is not None and self.captures >= self._fail_after:
            raise RuntimeError("Camera frontend has timed out!")
        self.captures += 1
        with self._lock:
            if self._frame is None:
                self._frame = self._render()
            return self._frame

    def _render(self) -> NDArray[np.uint8]:
        width, height = self.size
        scene = Image.new("L", (width, height), self._background)
        for placement in self._scene:
            scene.paste(qr_image(placement), (placement.x, placement.y))
        y_plane = np.asarray(scene, dtype=np.uint8)
        chroma = np.full((height // 2, width), 128, dtype=np.uint8)
        return np.vstack([y_plane, chroma])
