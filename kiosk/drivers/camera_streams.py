"""What the QR camera is asked for: its settings, the streams worked out from its sensor, and
the focus and exposure controls.

A 640x480 picture of the whole field of view spreads a label's 0.85 mm modules over about 1.5
pixels at 30 cm, too few to decode. So the main stream is the sensor's binned resolution, of
which only the middle is decoded (4-5 pixels a module at 30 cm), and the ISP's low-resolution
stream of the whole view catches labels held close (``bench.optics`` models both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# libcamera's control values, as plain numbers: the enums live in the libcamera bindings, which
# only a Raspberry Pi has.
AF_MODE_MANUAL = 0
AF_MODE_CONTINUOUS = 2
AF_SPEED_FAST = 1


@dataclass(frozen=True)
class CameraSettings:
    """How the scanner drives the camera; ``kiosk.config``'s ``[drivers.camera]``.

    The main stream is the whole field of view at the sensor's binned resolution (``size``
    None: half its pixel array, 2304x1296 on a Camera Module 3, 1600x1202 on a v2). Each frame
    the scanner decodes the middle ``window`` of it (that share of its width and height) at
    full resolution, for labels held far off, and with ``wide`` also the low-resolution stream
    ('lores', half the main's size, scaled by the camera's ISP at no cost to the CPU), which
    shows the whole field of view, for labels held close.

    ``focus`` is for cameras with a focus motor (Camera Module 3): ``continuous`` autofocus, or
    ``fixed`` at ``lens_position`` dioptres (1/metres: 3.3 is 30 cm) for a counter where labels
    are shown at about the same distance. ``exposure_us`` fixes the shutter (the gain still
    follows the light): a short one keeps a moving hand from blurring the label; 0 leaves the
    exposure to the camera. ``hold_s`` is how long a code must go unseen before it counts as a
    new read. ``buffer_count`` frame buffers are mapped into the process (5.6 MB each on a
    Camera Module 3); the scanner holds one only while it copies out what it decodes.
    """

    size: tuple[int, int] | None = None
    window: float = 0.5
    wide: bool = True
    focus: Literal["continuous", "fixed"] = "continuous"
    lens_position: float = 3.3
    exposure_us: int = 5000
    hold_s: float = 3.0
    buffer_count: int = 3

    @classmethod
    def of(cls, section: Any) -> CameraSettings:
        """From the config's ``[drivers.camera]`` (``kiosk.config.CameraSection``)."""
        size = (section.width, section.height) if section.width and section.height else None
        return cls(
            size=size,
            window=section.window,
            wide=section.wide,
            focus=section.focus,
            lens_position=section.lens_position,
            exposure_us=section.exposure_us,
            hold_s=section.hold_s,
            buffer_count=section.buffers,
        )


@dataclass(frozen=True)
class StreamPlan:
    """The streams to ask for, worked out from the sensor's pixel array."""

    main: tuple[int, int]
    lores: tuple[int, int] | None
    sensor: tuple[int, int]
    window: tuple[int, int, int, int]  # x, y, w, h of the main stream decoded at full size


def plan_streams(settings: CameraSettings, pixel_array: tuple[int, int]) -> StreamPlan:
    """Stream sizes for ``settings`` on a sensor of ``pixel_array``: widths a multiple of 64
    and heights even, which the Pi's ISP takes without padding, and the whole field of view."""
    pw, ph = pixel_array
    sensor = (pw // 2 // 2 * 2, ph // 2 // 2 * 2)  # the 2x2 binned mode: whole view, fast
    if settings.size is not None:
        main = settings.size
    else:
        w = max(64, sensor[0] // 64 * 64)
        main = (w, 2 * round(w * ph / pw / 2))
    lores = None
    if settings.wide and main[0] >= 256:
        lw = main[0] // 2 // 64 * 64
        lores = (lw, 2 * round(lw * main[1] / main[0] / 2))
    ww = min(main[0], 2 * round(main[0] * settings.window / 2))
    wh = min(main[1], 2 * round(main[1] * settings.window / 2))
    window = ((main[0] - ww) // 2, (main[1] - wh) // 2, ww, wh)
    return StreamPlan(main, lores, sensor, window)


def camera_controls(settings: CameraSettings, available: dict[str, Any]) -> dict[str, Any]:
    """The controls to set after configuring: focus where the camera has a focus motor, and
    the exposure."""
    controls: dict[str, Any] = {}
    if "AfMode" in available:
        if settings.focus == "continuous":
            controls["AfMode"] = AF_MODE_CONTINUOUS
            if "AfSpeed" in available:
                controls["AfSpeed"] = AF_SPEED_FAST
        else:
            controls["AfMode"] = AF_MODE_MANUAL
            controls["LensPosition"] = settings.lens_position
    if settings.exposure_us > 0 and "ExposureTime" in available:
        controls["ExposureTime"] = settings.exposure_us
    return controls
