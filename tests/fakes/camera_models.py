"""The Pi cameras as the optics model sees them: Camera Module v2 (Sony IMX219) and Camera Module
3 (Sony IMX708) with their lens, sensor modes and gain, the sensor mode libcamera picks for a
stream, and the scaler crop it reads."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
