"""How a label is held up to the camera and lit (``Conditions``), random ways a student holds
it (``HandModel``), and the exposure and gain the camera then runs at."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from tests.fakes.camera_models import CameraModel


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
