"""Camera capture (picamera2) and QR decoding (zxing-cpp, or pyzbar where zxing-cpp is missing).

Only the luminance planes of YUV420 streams are decoded: grayscale is all a QR decoder needs.
A 640x480 picture of the whole field of view spreads a label's 0.85 mm modules over about 1.5
pixels at 30 cm, too few to decode. So the main stream is the sensor's binned resolution, of
which only the middle is decoded (4-5 pixels a module at 30 cm), and the ISP's low-resolution
stream of the whole view catches labels held close (``bench.optics`` models both). Only QR
symbols are decoded.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any, Literal, NoReturn, Protocol

import numpy as np
from numpy.typing import NDArray

from kiosk.errors import CameraError

log = logging.getLogger(__name__)

Gray = NDArray[np.uint8]
Decoder = Callable[[Gray], list[str]]
# picamera2.MappedArray: (request, stream name) -> a context whose ``array`` is the camera's
# buffer itself, so only the part decoded is copied out of it.
MappedView = Callable[[Any, str], AbstractContextManager[Any]]

# libcamera's control values, as plain numbers: the enums live in the libcamera bindings, which
# only a Raspberry Pi has.
AF_MODE_MANUAL = 0
AF_MODE_CONTINUOUS = 2
AF_SPEED_FAST = 1


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
