"""A model of what a Pi camera sees of a printed label: the label as ``hub.labelsheet`` lays it
out, held at some distance, tilt and aim, through the camera's lens (field of view, defocus),
sensor mode, scaler crop and output stream, blurred by the hand's motion during the exposure and
with the sensor's noise at the gain that exposure needs.

It serves the fake camera (a test can show a label "at 30 cm") and ``bench.optics`` (the sweep
over distances, stocks and cameras). Figures for the cameras are their published ones; what is
assumed rather than published (light, hand speed, noise, the ISP's softness) is named below.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from hub.labelsheet import LabelStock, qr_on_label, resolve_stock

Gray = NDArray[np.uint8]


@dataclass(frozen=True)
class SensorMode:
    """A readout mode: its output size and the part of the pixel array it reads
    (x, y, w, h in full-resolution pixels), as libcamera lists it for the sensor."""

    size: tuple[int, int]
    area: tuple[int, int, int, int]


@dataclass(frozen=True)
class CameraModel:
    name: str
    pixel_array: tuple[int, int]
    hfov_deg: float
    focal_mm: float
    f_number: float
    modes: tuple[SensorMode, ...]
    max_gain: float
    autofocus: bool

    @property
    def aperture_mm(self) -> float:
        return self.focal_mm / self.f_number

    def mm_per_pixel(self, distance_mm: float) -> float:
        """Object-space width of one full-resolution pixel at that distance."""
        span = 2 * distance_mm * math.tan(math.radians(self.hfov_deg) / 2)
        return span / self.pixel_array[0]


# Camera Module v2 (Sony IMX219) and Camera Module 3 (Sony IMX708): focal length, aperture and
# field of view from the Raspberry Pi camera documentation, modes as libcamera reports them.
CAMERA_V2 = CameraModel(
    "Camera Module v2",
    (3280, 2464),
    62.2,
    3.04,
    2.0,
    (
        SensorMode((640, 480), (1000, 752, 1280, 960)),
        SensorMode((1640, 1232), (0, 0, 3280, 2464)),
        SensorMode((1920, 1080), (680, 692, 1920, 1080)),
        SensorMode((3280, 2464), (0, 0, 3280, 2464)),
    ),
    max_gain=10.7,
    autofocus=False,
)
CAMERA_3 = CameraModel(
    "Camera Module 3",
    (4608, 2592),
    66.0,
    4.74,
    1.8,
    (
        SensorMode((1536, 864), (768, 432, 3072, 1728)),
        SensorMode((2304, 1296), (0, 0, 4608, 2592)),
        SensorMode((4608, 2592), (0, 0, 4608, 2592)),
    ),
    max_gain=16.0,
    autofocus=True,
)
CAMERAS = {"v2": CAMERA_V2, "v3": CAMERA_3}


def pick_mode(camera: CameraModel, wanted: tuple[int, int]) -> SensorMode:
    """The mode picamera2 picks for a requested sensor output size: the nearest in size, a
    smaller one costing more than a larger one, and a different shape most of all."""

    def cost(mode: SensorMode) -> float:
        def axis(want: float, have: float) -> float:
            return (want - have) * 2 if want >= have else (have - want) / 4

        w, h = mode.size
        shape = axis(wanted[0] / wanted[1], w / h)
        return axis(wanted[0], w) + axis(wanted[1], h) + 1500 * shape

    return min(camera.modes, key=cost)


@dataclass(frozen=True)
class Stream:
    """What the scanner asks of the camera: output size, the share of the sensor's width it
    crops to (centred), and the sensor output size it asks for (None: the output size)."""

    size: tuple[int, int]
    crop: float = 1.0
    sensor_size: tuple[int, int] | None = None


def scaler_crop(camera: CameraModel, mode: SensorMode, stream: Stream) -> tuple[int, int, int, int]:
    """The centred ScalerCrop for ``stream``, inside what ``mode`` reads."""
    full_w, full_h = camera.pixel_array
    w = stream.crop * full_w
    h = w * stream.size[1] / stream.size[0]
    _, _, aw, ah = mode.area
    if w > aw or h > ah:
        shrink = min(aw / w, ah / h)
        w, h = w * shrink, h * shrink
    return (round((full_w - w) / 2), round((full_h - h) / 2), round(w), round(h))


@dataclass(frozen=True)
class Conditions:
    """How the label is held and lit. Light is the exposure time (ms) that would expose the
    scene at unity gain (about 20 ms in an office at these apertures); the auto exposure then
    runs 10 ms at gain 2, as the libcamera tuning's normal mode does at that light."""

    distance_mm: float
    focus_mm: float | None = None  # where the lens is focused; None: on the label (autofocus)
    focus_error_dioptre: float = 0.0
    exposure_ms: float | None = None  # None: automatic
    light_ms: float = 20.0
    hand_speed_mm_s: float = 0.0
    motion_angle_deg: float = 0.0
    tilt_x_deg: float = 0.0  # about the label's horizontal axis (top away from the camera)
    tilt_y_deg: float = 0.0
    roll_deg: float = 0.0
    offset_mm: tuple[float, float] = (0.0, 0.0)  # label centre off the camera's axis
    background: int = 120  # the item's surface round the label
    seed: int = 0


@dataclass(frozen=True)
class HandModel:
    """Random ways a student holds a label up: ranges the draws are uniform over."""

    hand_speed_mm_s: tuple[float, float] = (20.0, 120.0)
    tilt_deg: float = 25.0
    aim_mm: float = 35.0
    focus_error_dioptre: float = 0.15  # autofocus residual
    light_ms: tuple[float, float] = (12.0, 30.0)
    backgrounds: tuple[int, int] = (30, 200)

    def draw(self, rng: random.Random, distance_mm: float, **fixed: object) -> Conditions:
        c = Conditions(
            distance_mm=distance_mm,
            focus_error_dioptre=rng.uniform(-1, 1) * self.focus_error_dioptre,
            light_ms=rng.uniform(*self.light_ms),
            hand_speed_mm_s=rng.uniform(*self.hand_speed_mm_s),
            motion_angle_deg=rng.uniform(0, 360),
            tilt_x_deg=rng.uniform(-1, 1) * self.tilt_deg,
            tilt_y_deg=rng.uniform(-1, 1) * self.tilt_deg,
            roll_deg=rng.uniform(0, 360),
            offset_mm=(rng.uniform(-1, 1) * self.aim_mm, rng.uniform(-1, 1) * self.aim_mm),
            background=rng.randint(*self.backgrounds),
            seed=rng.randrange(2**31),
        )
        return replace(c, **fixed)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Exposure:
    time_ms: float
    gain: float
    brightness: float  # 1: well exposed; below: the gain ran out


def exposure(camera: CameraModel, c: Conditions) -> Exposure:
    t = min(c.light_ms / 2, 33.0) if c.exposure_ms is None else c.exposure_ms
    gain = c.light_ms / t
    if gain < 1:
        return Exposure(t, 1.0, 1.0)
    if gain > camera.max_gain:
        return Exposure(t, camera.max_gain, camera.max_gain / gain)
    return Exposure(t, gain, 1.0)


@dataclass(frozen=True)
class Frame:
    image: Gray
    px_per_mm: float  # at the label, in output pixels
    module_px: float
    defocus_mm: float
    motion_mm: float
    exposure: Exposure


@dataclass
class _Source:
    """A label drawn in mm space at a fixed resolution, for warping into frames."""

    image: Image.Image
    px_per_mm: float
    size_mm: tuple[float, float]
    module_mm: float
    scaled: dict[int, Image.Image] = field(default_factory=dict)

    def at(self, px_per_mm: float) -> tuple[Image.Image, float]:
        """The label resampled (with antialiasing) to about ``px_per_mm``, at most the master:
        ink in the first band, and in the second where the label is at all."""
        step = max(1, min(64, round(self.px_per_mm / max(px_per_mm, 0.5))))
        if step == 1:
            return self.image, self.px_per_mm
        if step not in self.scaled:
            w, h = self.image.size
            self.scaled[step] = self.image.resize(
                (max(1, w // step), max(1, h // step)), Image.Resampling.BOX
            )
        img = self.scaled[step]
        return img, img.size[0] / self.size_mm[0]


@cache
def _label_source(payload: str, stock: str, px_per_mm: float = 24.0) -> _Source:
    """The label's white paper and its QR where ``label_sheet`` prints them (the text beside
    it is left out: the decoders look for finder patterns, not letters)."""
    sheet: LabelStock = resolve_stock(stock)
    qr = qr_on_label(payload, sheet)
    w_mm, h_mm = sheet.label_w_mm, sheet.label_h_mm
    img = Image.new("L", (round(w_mm * px_per_mm), round(h_mm * px_per_mm)), 255)
    draw = ImageDraw.Draw(img)
    unit = qr.module_mm * px_per_mm
    x0, y0 = qr.left_mm * px_per_mm, qr.top_mm * px_per_mm
    for r, row in enumerate(qr.matrix):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (
                        round(x0 + c * unit),
                        round(y0 + r * unit),
                        round(x0 + (c + 1) * unit) - 1,
                        round(y0 + (r + 1) * unit) - 1,
                    ),
                    fill=0,
                )
    label = Image.merge("LA", (img, Image.new("L", img.size, 255)))
    return _Source(label, px_per_mm, (w_mm, h_mm), qr.module_mm)


def render(
    payload: str,
    stock: str,
    camera: CameraModel,
    stream: Stream,
    c: Conditions,
) -> Frame:
    """One grayscale frame (the stream's luminance) of the label under ``c``."""
    out_w, out_h = stream.size
    mode = pick_mode(camera, stream.sensor_size or stream.size)
    crop = scaler_crop(camera, mode, stream)
    binning = mode.area[2] / mode.size[0]  # full-resolution pixels per sensor output pixel
    sensor_px = crop[2] / binning  # sensor pixels across the crop
    # Draw at the coarser of the sensor's and the output's sampling, then scale to the output:
    # an output larger than what the sensor read adds pixels, not detail.
    work_w = min(out_w, round(sensor_px))
    work_h = round(work_w * out_h / out_w)
    full_mm = camera.mm_per_pixel(c.distance_mm)  # at the label's distance
    work_px_per_mm = work_w / (crop[2] * full_mm)
    out_px_per_mm = out_w / (crop[2] * full_mm)

    src = _label_source(payload, stock)
    ss = 2  # supersampling: each output pixel integrates light over its area
    img, _ = src.at(work_px_per_mm * ss)
    corners = _project(src.size_mm, c, work_px_per_mm * ss, (work_w * ss, work_h * ss))

    defocus_mm = _defocus_mm(camera, c)
    exp = exposure(camera, c)
    motion_mm = c.hand_speed_mm_s * exp.time_ms / 1000
    kernel = _psf(
        defocus_mm * work_px_per_mm,
        motion_mm * work_px_per_mm,
        c.motion_angle_deg,
        0.5 + 0.3 * binning / 2,  # the lens and the ISP's demosaic and scaling
    )
    pad = kernel.shape[0] // 2 + 2

    xs = [p[0] / ss for p in corners]
    ys = [p[1] / ss for p in corners]
    x0, y0 = max(0, math.floor(min(xs)) - pad), max(0, math.floor(min(ys)) - pad)
    x1, y1 = min(work_w, math.ceil(max(xs)) + pad), min(work_h, math.ceil(max(ys)) + pad)

    rng = np.random.default_rng(c.seed)
    white, black = 215.0 * exp.brightness, 28.0 * exp.brightness
    background = c.background * exp.brightness
    scene = np.full((work_h, work_w), background, dtype=np.float32)
    if x1 > x0 and y1 > y0:
        patch_size = ((x1 - x0) * ss, (y1 - y0) * ss)
        local = [(px - x0 * ss, py - y0 * ss) for px, py in corners]
        coeffs = _homography(local, img.size)
        warped = img.transform(
            patch_size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        ).reduce(ss)
        ink_band, paper_band = warped.split()
        ink = np.asarray(ink_band, np.float32) / 255
        paper = np.asarray(paper_band, np.float32) / 255
        level = black + (white - black) * ink
        patch = (paper * level + (1 - paper) * background).astype(np.float32)
        scene[y0:y1, x0:x1] = _convolve(patch, kernel, background)
    if (work_w, work_h) != (out_w, out_h):
        scene = np.asarray(
            Image.fromarray(scene, mode="F").resize((out_w, out_h), Image.Resampling.BILINEAR),
            np.float32,
        )
    # Read noise and shot noise grow with the gain; the ISP's denoise takes some of it off.
    sigma = 1.0 + 1.2 * exp.gain
    noisy = scene + sigma * rng.standard_normal(scene.shape, dtype=np.float32)
    image = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    return Frame(
        image,
        out_px_per_mm,
        out_px_per_mm * src.module_mm,
        defocus_mm,
        motion_mm,
        exp,
    )


def _defocus_mm(camera: CameraModel, c: Conditions) -> float:
    """Diameter of the blur circle, measured on the label: the aperture times how far (in
    dioptres) the label is from the plane in focus, times its distance."""
    d = c.distance_mm / 1000
    if c.focus_mm is None:
        off = c.focus_error_dioptre
    else:
        off = 1 / d - 1000 / c.focus_mm + c.focus_error_dioptre
    return camera.aperture_mm * d * abs(off)


def _project(
    size_mm: tuple[float, float],
    c: Conditions,
    px_per_mm_at_distance: float,
    frame: tuple[int, int],
) -> list[tuple[float, float]]:
    """Where the label's corners land in the frame (pinhole camera on the crop's centre)."""
    w, h = size_mm
    focal_px = px_per_mm_at_distance * c.distance_mm
    rx, ry, rz = (math.radians(a) for a in (c.tilt_x_deg, c.tilt_y_deg, c.roll_deg))
    out = []
    for x, y in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        x, y = x * math.cos(rz) - y * math.sin(rz), x * math.sin(rz) + y * math.cos(rz)
        y, z = y * math.cos(rx), y * math.sin(rx)
        x, z = x * math.cos(ry) + z * math.sin(ry), -x * math.sin(ry) + z * math.cos(ry)
        x, y, z = x + c.offset_mm[0], y + c.offset_mm[1], z + c.distance_mm
        out.append((frame[0] / 2 + focal_px * x / z, frame[1] / 2 + focal_px * y / z))
    return out


def _homography(
    shown: list[tuple[float, float]], size: tuple[int, int]
) -> tuple[float, float, float, float, float, float, float, float]:
    """PIL's perspective coefficients: for each frame pixel, where to read the label image."""
    w, h = size
    label = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    rows, rhs = [], []
    for (x, y), (u, v) in zip(shown, label, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    a, b, cc, d, e, f, g, hh = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
    return (a, b, cc, d, e, f, g, hh)


def _fast_len(n: int) -> int:
    """The least length from ``n`` up whose only factors are 2, 3 and 5: FFTs of it are quick."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _psf(
    defocus_px: float, motion_px: float, angle_deg: float, sigma_px: float
) -> NDArray[np.float32]:
    """The blur kernel: a disc (defocus) swept along a line (motion), softened a little."""
    radius = defocus_px / 2
    extent = math.ceil(radius + motion_px / 2 + 3 * sigma_px) + 1
    n = 4  # sub-samples per pixel when drawing the kernel
    ax = (np.arange((2 * extent + 1) * n) - (2 * extent + 1) * n / 2 + 0.5) / n
    xx, yy = np.meshgrid(ax, ax)
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    # distance from each point to the motion segment
    t = np.clip(xx * dx + yy * dy, -motion_px / 2, motion_px / 2)
    dist = np.hypot(xx - t * dx, yy - t * dy)
    shape = np.clip(radius + 0.5 / n - dist, 0, 1 / n) * n if radius > 0.25 else dist < 0.5
    fine = np.asarray(shape, np.float64)
    if fine.sum() == 0:
        fine[fine.shape[0] // 2, fine.shape[1] // 2] = 1
    coarse = fine.reshape(2 * extent + 1, n, 2 * extent + 1, n).sum(axis=(1, 3))
    g = np.exp(-(np.arange(-extent, extent + 1) ** 2) / (2 * sigma_px**2))
    kernel = coarse
    kernel = np.apply_along_axis(lambda r: np.convolve(r, g, mode="same"), 0, kernel)
    kernel = np.apply_along_axis(lambda r: np.convolve(r, g, mode="same"), 1, kernel)
    out: NDArray[np.float32] = (kernel / kernel.sum()).astype(np.float32)
    return out


def _convolve(
    patch: NDArray[np.float32], kernel: NDArray[np.float32], fill: float
) -> NDArray[np.float32]:
    """``patch`` blurred by ``kernel`` (FFT), what lies beyond it taken as ``fill``."""
    k = kernel.shape[0] // 2
    padded = np.pad(patch, k, constant_values=fill)
    shape = (_fast_len(padded.shape[0] + 2 * k), _fast_len(padded.shape[1] + 2 * k))
    spectrum = np.fft.rfft2(padded, shape) * np.fft.rfft2(kernel, shape)
    full = np.fft.irfft2(spectrum, shape)
    out: NDArray[np.float32] = full[
        2 * k : 2 * k + patch.shape[0], 2 * k : 2 * k + patch.shape[1]
    ].astype(np.float32)
    return out
