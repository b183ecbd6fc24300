"""A fake Picamera2 whose frames hold real QR codes, so the real scanner and the real decoders
(zxing-cpp, pyzbar) read them: codes made with the qrcode library pasted at pixel positions, or
a printed label (as ``hub.labelsheet`` lays it out) rendered through a model of the camera's
optics at a distance, with defocus, hand motion and noise (``tests.fakes.optics``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import qrcode
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from tests.fakes.camera_models import CAMERA_3, CameraModel, Stream, pick_mode
from tests.fakes.holding import Conditions
from tests.fakes.optics import homography, render


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
    return img.transform(
        (w, h),
        Image.Transform.PERSPECTIVE,
        tuple(float(c) for c in homography(shown, img.size)),
        Image.Resampling.BILINEAR,
        fillcolor=255,
    )


@dataclass
class FakeRequest:
    """A completed request: the frame's buffers, which the camera reuses once released."""

    buffers: dict[str, NDArray[np.uint8]]
    metadata: dict[str, Any]
    released: bool = False

    def release(self) -> None:
        self.released = True


class FakeMappedArray:
    """``picamera2.MappedArray``: the request's buffer itself, read-only here so that a scanner
    writing into the camera's memory would fail."""

    def __init__(self, request: FakeRequest, stream: str) -> None:
        self.request, self.stream = request, stream
        self.array: NDArray[np.uint8] | None = None

    def __enter__(self) -> FakeMappedArray:
        if self.request.released:
            raise RuntimeError("the request was released")
        view = self.request.buffers[self.stream].view()
        view.flags.writeable = False
        self.array = view
        return self

    def __exit__(self, *_exc: object) -> None:
        self.array = None


@dataclass(frozen=True)
class LabelInView:
    """A printed label held in front of the camera (see ``tests.fakes.optics``)."""

    payload: str
    stock: str
    conditions: Conditions


class FakePicamera2:
    """Answers the calls QrScanner makes of ``picamera2.Picamera2``, as the camera ``model``
    would: its pixel array, its modes' crop limits, a focus motor or none."""

    def __init__(self, background: int = 170, model: CameraModel = CAMERA_3) -> None:
        self.model = model
        self.size = (640, 480)
        self.format = "YUV420"
        self.config: dict[str, Any] = {}
        self.controls: dict[str, Any] = {}
        self.started = False
        self.closed = False
        self.captures = 0
        self._background = background
        self._scene: tuple[QrPlacement | LabelInView, ...] = ()
        self._fail_after: int | None = None
        self._fail_starts = 0
        self._lock = threading.Lock()
        self._frames: dict[tuple[QrPlacement | LabelInView, ...], NDArray[np.uint8]] = {}
        self._limits = (0, 0, *model.pixel_array)
        self.requests: list[FakeRequest] = []

    @property
    def camera_properties(self) -> dict[str, Any]:
        return {"PixelArraySize": self.model.pixel_array, "Model": self.model.name}

    @property
    def camera_controls(self) -> dict[str, Any]:
        full = (0, 0, *self.model.pixel_array)
        controls: dict[str, Any] = {
            "ScalerCrop": ((0, 0, 64, 64), self._limits, full),
            "ExposureTime": (100, 1_000_000, 20_000),
            "AnalogueGain": (1.0, self.model.max_gain, 1.0),
        }
        if self.model.autofocus:
            controls |= {
                "AfMode": (0, 2, 0),
                "AfSpeed": (0, 1, 0),
                "LensPosition": (0.0, 15.0, 1.0),
            }
        return controls

    def create_video_configuration(self, main: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return {"use_case": "video", "main": dict(main)} | kw

    def configure(self, config: dict[str, Any]) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        width, height = config["main"]["size"]
        self.size = (int(width), int(height))
        self.format = config["main"].get("format", "XBGR8888")
        self.config = config
        wanted = (config.get("sensor") or {}).get("output_size") or self.size
        self._limits = pick_mode(self.model, tuple(wanted)).area
        self.controls = {}
        self._frames.clear()

    def set_controls(self, controls: dict[str, Any]) -> None:
        self.controls |= controls
        self._frames.clear()

    def start(self) -> None:
        if self.closed:
            raise RuntimeError("Camera is closed")
        if self._fail_starts:
            self._fail_starts -= 1
            raise RuntimeError("Failed to start camera: Device or resource busy")
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started = False
        self.closed = True

    def fail_starts(self, times: int) -> None:
        """The next ``times`` starts fail, as when another process holds the camera."""
        self._fail_starts = times

    def stream(self) -> Stream:
        """The main stream as configured: its size, the crop set and the sensor size asked
        for, which picks the sensor mode."""
        crop = self.controls.get("ScalerCrop")
        share = crop[2] / self.model.pixel_array[0] if crop else 1.0
        sensor = (self.config.get("sensor") or {}).get("output_size")
        return Stream(self.size, share, tuple(sensor) if sensor else None)

    def show(self, *codes: str | QrPlacement | LabelInView) -> None:
        """What is in front of the camera from now on."""
        placed = tuple(
            c if isinstance(c, QrPlacement | LabelInView) else QrPlacement(c) for c in codes
        )
        with self._lock:
            self._scene = placed

    def clear(self) -> None:
        self.show()

    def fail_after(self, captures: int) -> None:
        self._fail_after = self.captures + captures

    def capture_arrays(self, names: list[str]) -> tuple[list[NDArray[np.uint8]], dict[str, Any]]:
        """The named streams of the next frame (YUV420: the luminance rows, then chroma)."""
        if not self.started:
            raise RuntimeError("Camera is not running")
        if self._fail_after is not None and self.captures >= self._fail_after:
            raise RuntimeError("Camera frontend has timed out!")
        self.captures += 1
        with self._lock:
            frame = self._frames.get(self._scene)
            if frame is None:
                frame = self._frames[self._scene] = self._render(self._scene)
        arrays = []
        for name in names:
            if name == "main":
                arrays.append(_yuv420(frame))
            elif name == "lores" and self.config.get("lores"):
                size = tuple(self.config["lores"]["size"])
                small = Image.fromarray(frame).resize(size, Image.Resampling.BOX)
                arrays.append(_yuv420(np.asarray(small, dtype=np.uint8)))
            else:
                raise RuntimeError(f"no stream {name!r} configured")
        return arrays, {"SensorTimestamp": self.captures}

    def capture_request(self) -> FakeRequest:
        """The next frame's buffers, held until ``release``, as picamera2's requests are."""
        arrays, metadata = self.capture_arrays(self._stream_names())
        request = FakeRequest(dict(zip(self._stream_names(), arrays, strict=True)), metadata)
        self.requests.append(request)
        return request

    def _stream_names(self) -> list[str]:
        return ["main", "lores"] if self.config.get("lores") else ["main"]

    def capture_array(self, name: str = "main") -> NDArray[np.uint8]:
        arrays, _ = self.capture_arrays([name])
        return arrays[0]

    def _render(self, items: tuple[QrPlacement | LabelInView, ...]) -> NDArray[np.uint8]:
        width, height = self.size
        labels = [i for i in items if isinstance(i, LabelInView)]
        if labels:  # one label through the optics model; its background is the scene's
            shown = labels[0]
            y_plane = render(
                shown.payload, shown.stock, self.model, self.stream(), shown.conditions
            ).image
        else:
            scene = Image.new("L", (width, height), self._background)
            for placement in items:
                if isinstance(placement, QrPlacement):
                    scene.paste(qr_image(placement), (placement.x, placement.y))
            y_plane = np.asarray(scene, dtype=np.uint8)
        return y_plane


def _yuv420(y_plane: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A YUV420 buffer as picamera2 gives it: the luminance rows, then half as many of chroma."""
    height, width = y_plane.shape
    chroma = np.full((height // 2, width), 128, dtype=np.uint8)
    return np.vstack([y_plane, chroma])
