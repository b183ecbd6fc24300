"""A kiosk process with the camera stack, for ``bench.kiosk``'s memory figures: the kiosk's own
entry point with ``BufferedPicamera2`` standing in for picamera2, which needs a Raspberry Pi.
Kept apart from ``bench.kiosk`` so the measured process loads nothing of the bench.

Run (by ``bench.kiosk``): ``python -m bench.kiosk_camera CONFIG``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kiosk.drivers.camera_streams import CameraSettings, plan_streams


class _Request:
    def __init__(self, buffers: dict[str, NDArray[np.uint8]]) -> None:
        self.buffers = buffers

    def release(self) -> None:
        pass


class _MappedArray:
    """``picamera2.MappedArray``: the buffer itself, nothing copied."""

    def __init__(self, request: _Request, stream: str) -> None:
        self.array = request.buffers[stream]

    def __enter__(self) -> _MappedArray:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


class BufferedPicamera2:
    """Stands in for ``picamera2.Picamera2`` in a kiosk process measured for memory: it holds
    frame buffers as the real one maps them (``buffer_count`` of each stream, written by the
    camera) and lends one per capture, as ``capture_request`` and ``MappedArray`` do. What it
    cannot hold is libcamera itself and picamera2's own modules (``CAMERA_STACK_NOT_LOADED``)."""

    camera_properties: dict[str, Any] = {"PixelArraySize": (4608, 2592), "Model": "imx708"}
    camera_controls = {
        "ScalerCrop": ((0, 0, 64, 64), (0, 0, 4608, 2592), (0, 0, 4608, 2592)),
        "AfMode": (0, 2, 0),
        "AfSpeed": (0, 1, 0),
        "LensPosition": (0.0, 15.0, 1.0),
        "ExposureTime": (100, 1_000_000, 20_000),
    }

    def __init__(self) -> None:
        self._buffers: dict[str, list[NDArray[np.uint8]]] = {}
        self._next = 0

    def create_video_configuration(
        self, main: dict[str, object], **kw: object
    ) -> dict[str, object]:
        return {"main": main} | kw

    def configure(self, config: dict[str, Any]) -> None:
        # The camera's buffers are dma-buf memory that its ISP writes; the kernel maps a page
        # into the process (and counts it as resident) when the CPU first touches it, which is
        # what the scanner reads: the rows of the main stream's middle and the lores luminance.
        # Here they are ordinary memory, untouched (zero pages) but for those rows.
        plan = plan_streams(CameraSettings(), self.camera_properties["PixelArraySize"])
        count = int(config.get("buffer_count", 6))
        for name in ("main", "lores"):
            stream = config.get(name)
            if stream:
                w, h = stream["size"]
                buffers = [np.zeros((h * 3 // 2, w), dtype=np.uint8) for _ in range(count)]
                rows = slice(plan.window[1], plan.window[1] + plan.window[3])
                for b in buffers:
                    b[rows if name == "main" else slice(0, h)] = 128
                self._buffers[name] = buffers

    def set_controls(self, controls: dict[str, object]) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self._buffers.clear()

    def capture_request(self) -> _Request:
        self._next += 1
        return _Request({n: b[self._next % len(b)] for n, b in self._buffers.items()})

    def capture_arrays(self, names: list[str]) -> tuple[list[NDArray[np.uint8]], dict[str, Any]]:
        self._next += 1
        out = [self._buffers[n][self._next % len(self._buffers[n])].copy() for n in names]
        return out, {}


# Installed sizes of Debian 12's libcamera0.0.3 (2,064 kB) and libcamera-ipa (1,449 kB); Raspberry
# Pi OS's own libcamera builds are of the same order. Its Python bindings and picamera2's modules
# (pure Python; it also imports PIL, piexif, simplejpeg and pidng) come on top.
CAMERA_STACK_NOT_LOADED = "libcamera (~3.5 MB of shared libraries) and picamera2's modules"


def _run_with_camera(config: str) -> None:
    """The kiosk's own entry point, with ``BufferedPicamera2`` as picamera2."""
    import gpiozero  # noqa: F401  # the real LEDs, buzzer and door need it; loaded to count it
    import PIL.Image  # noqa: F401  # picamera2 imports it

    fake = types.ModuleType("picamera2")
    fake.Picamera2 = BufferedPicamera2  # type: ignore[attr-defined]
    fake.MappedArray = _MappedArray  # type: ignore[attr-defined]
    sys.modules["picamera2"] = fake
    from kiosk.cli import main as kiosk_main

    sys.exit(kiosk_main(["--config", config]))


if __name__ == "__main__":
    _run_with_camera(sys.argv[1])
