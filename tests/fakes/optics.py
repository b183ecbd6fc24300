"""A model of what a Pi camera sees of a printed label: the label as ``hub.labelsheet`` lays it
out, held at some distance, tilt and aim, through the camera's lens (field of view, defocus),
sensor mode, scaler crop and output stream, blurred by the hand's motion during the exposure and
with the sensor's noise at the gain that exposure needs.

It serves the fake camera (a test can show a label "at 30 cm") and ``bench.optics`` (the sweep
over distances, stocks and cameras). Figures for the cameras are their published ones
(``tests.fakes.camera_models``); what is assumed rather than published (light, hand speed,
noise, the ISP's softness) is named there, in ``tests.fakes.holding`` and below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from hub.labelsheet import LabelStock, qr_on_label, resolve_stock
from tests.fakes.camera_models import CameraModel, Stream, pick_mode, scaler_crop
from tests.fakes.holding import Conditions, Exposure, exposure

Gray = NDArray[np.uint8]


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
        coeffs = homography(local, img.size)
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


def homography(
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
