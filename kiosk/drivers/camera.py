"""Camera capture (picamera2) for the QR scanner: opening the camera, configuring it, taking
the decoded parts out of each frame, and failing and restarting cleanly.

The streams asked for are worked out in ``kiosk.drivers.camera_streams``; the frames are
decoded by ``kiosk.drivers.qr_decoding``.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, NoReturn, Protocol

import numpy as np

from kiosk.drivers.camera_streams import CameraSettings, StreamPlan, camera_controls, plan_streams
from kiosk.drivers.qr_decoding import Decoder, Gray, RepeatFilter, default_decoder
from kiosk.errors import CameraError

log = logging.getLogger(__name__)

# picamera2.MappedArray: (request, stream name) -> a context whose ``array`` is the camera's
# buffer itself, so only the part decoded is copied out of it.
MappedView = Callable[[Any, str], AbstractContextManager[Any]]


class CameraDevice(Protocol):
    """The part of ``picamera2.Picamera2`` the scanner uses."""

    @property
    def camera_properties(self) -> dict[str, Any]: ...
    @property
    def camera_controls(self) -> dict[str, Any]: ...
    def create_video_configuration(self, main: dict[str, Any], **kwargs: Any) -> Any: ...
    def configure(self, config: Any) -> None: ...
    def set_controls(self, controls: dict[str, Any]) -> None: ...
    def start(self) -> None: ...
    def capture_arrays(self, names: list[str]) -> tuple[list[Any], dict[str, Any]]: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class QrScanner:
    """Reports a code when it comes into view; a code held in view is reported once.

    ``start`` may be called again after ``stop`` or a failure: with an ``opener`` it closes
    the camera and opens it afresh, without one it reconfigures the same camera.
    ``last_frame_at`` is the ``clock`` time of the last frame captured, for a watchdog.
    """

    def __init__(
        self,
        camera: CameraDevice | None = None,
        settings: CameraSettings | None = None,
        *,
        opener: Callable[[], CameraDevice] | None = None,
        decoder: Decoder | None = None,
        clock: Callable[[], float] = time.monotonic,
        size: tuple[int, int] | None = None,  # the main stream's, over ``settings``'
        mapped: MappedView | None = None,
    ) -> None:
        if camera is None and opener is None:
            raise ValueError("give a camera or an opener")
        self.camera = camera
        self.opener = opener
        settings = settings or CameraSettings()
        if size is not None and all(size):  # 0 x 0: the sensor's own, as in the config
            settings = replace(settings, size=size)
        self.settings = settings
        self.decoder = decoder or default_decoder()
        self.clock = clock
        self.mapped = mapped or picamera2_mapped_array()
        self.repeats = RepeatFilter(self.settings.hold_s)
        self.plan: StreamPlan | None = None
        self._running = False
        self._broken = False
        self._starts = 0  # a capture that fails after a newer start is not this camera's
        self.healthy = True
        self.last_error: str | None = None
        self.last_frame_at: float | None = None
        self.frames = 0
        self.decode_seconds = 0.0

    def start(self) -> None:
        """Configure and start the camera; after a failure or a stop, reopen it first."""
        if self._running:
            return
        try:
            if self.camera is None or (self._broken and self.opener is not None):
                self._close()
                assert self.opener is not None
                self.camera = self.opener()
            elif self._broken:
                self._stop_quietly(self.camera)  # the same camera again: it must be stopped
            self._configure(self.camera)
            self.camera.start()
        except Exception as exc:
            self._broken = True
            self._fail(f"cannot start the camera: {exc}")
        self._running, self._broken = True, False
        self._starts += 1
        self.healthy, self.last_error = True, None
        self.repeats.reset()

    def _configure(self, camera: CameraDevice) -> None:
        s = self.settings
        pixels = camera.camera_properties.get("PixelArraySize") or s.size or (640, 480)
        plan = plan_streams(s, (int(pixels[0]), int(pixels[1])))
        lores = None if plan.lores is None else {"size": plan.lores, "format": "YUV420"}
        streams: dict[str, Any] = {
            "main": {"size": plan.main, "format": "YUV420"},
            "lores": lores,
            "buffer_count": s.buffer_count,
        }
        try:  # the sensor mode: its binned whole view, not the one nearest the main's size
            config = camera.create_video_configuration(
                **streams, sensor={"output_size": plan.sensor}
            )
        except TypeError:  # a picamera2 older than its "sensor" parameter
            config = camera.create_video_configuration(**streams)
        camera.configure(config)
        controls = camera_controls(s, dict(camera.camera_controls))
        if controls:
            camera.set_controls(controls)
        self.plan = plan

    def stop(self) -> None:
        """Stop the camera (and with an ``opener``, close it); ``start`` starts it again."""
        if not self._running:
            return
        self._running = False
        try:
            assert self.camera is not None
            self.camera.stop()
        finally:
            if self.opener is not None:
                self._close()

    @staticmethod
    def _stop_quietly(camera: CameraDevice) -> None:
        try:
            camera.stop()
        except Exception as exc:
            log.warning("stopping the camera: %s", exc)

    def _close(self) -> None:
        camera, self.camera = self.camera, None
        if camera is not None:
            try:
                camera.close()
            except Exception as exc:  # closing a broken camera may fail too; it is let go
                log.warning("closing the camera: %s", exc)

    def poll(self) -> list[str]:
        """New codes in the next frame (see ``RepeatFilter``)."""
        if not self._running or self.camera is None or self.plan is None:
            self._fail("the camera is not started")
        assert self.camera is not None
        starts = self._starts
        try:
            planes = self._capture()
        except Exception as exc:
            if starts != self._starts:  # stopped and started again meanwhile (a watchdog)
                raise CameraError(f"a capture from before the camera restarted: {exc}") from exc
            self._running, self._broken = False, True
            self._fail(f"the camera stopped delivering frames: {exc}")
        now = self.clock()
        self.last_frame_at = now
        started = time.perf_counter()
        texts = self.read(planes)
        self.decode_seconds += time.perf_counter() - started
        self.frames += 1
        self.healthy, self.last_error = True, None
        return self.repeats.fresh(texts, now)

    def _capture(self) -> list[Gray]:
        """What is decoded of the next frame: the middle of the main stream and the whole
        low-resolution one. Through ``mapped`` only those are copied out of the camera's
        buffers (a fifth of the whole frame), which keeps a kiosk's memory down."""
        assert self.camera is not None and self.plan is not None
        names = ["main"] if self.plan.lores is None else ["main", "lores"]
        capture_request = getattr(self.camera, "capture_request", None)
        if self.mapped is None or capture_request is None:
            arrays, _metadata = self.camera.capture_arrays(names)
            return [self._cut(name, array) for name, array in zip(names, arrays, strict=True)]
        request = capture_request()
        try:
            planes = []
            for name in names:
                with self.mapped(request, name) as view:
                    planes.append(self._cut(name, view.array))
            return planes
        finally:
            request.release()

    def _cut(self, name: str, array: Any) -> Gray:
        """A copy of the luminance decoded from a stream's YUV420 buffer."""
        assert self.plan is not None
        if name == "main":
            x, y, w, h = self.plan.window
        else:
            assert self.plan.lores is not None
            (w, h), x, y = self.plan.lores, 0, 0
        plane = np.asarray(array, dtype=np.uint8)[y : y + h, x : x + w]
        return np.array(plane, dtype=np.uint8, order="C", copy=True)

    def read(self, planes: list[Gray]) -> list[str]:
        """Codes in one frame: in the middle of the main stream at full size, then in the whole
        view at low resolution; each code once."""
        texts = self.decoder(planes[0])
        for plane in planes[1:]:
            texts += [t for t in self.decoder(plane) if t not in texts]
        return texts

    def _fail(self, message: str) -> NoReturn:
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


def picamera2_mapped_array() -> MappedView | None:
    """picamera2's view of a request's buffer, where picamera2 is installed."""
    try:
        from picamera2 import MappedArray
    except ImportError:
        return None
    view: MappedView = MappedArray
    return view


def open_camera() -> CameraDevice:
    """The Pi camera; picamera2 exists only on Raspberry Pi OS, so it is imported here."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise CameraError(
            "picamera2 is not installed: on Raspberry Pi OS run 'apt install python3-picamera2' "
            "and create the kiosk venv with --system-site-packages"
        ) from exc
    try:
        camera: CameraDevice = Picamera2()
    except Exception as exc:  # no camera connected, or another process holds it
        raise CameraError(f"cannot open the camera: {exc}") from exc
    return camera
