"""The scanner against a fake Picamera2 whose frames hold real QR codes, decoded by the real
decoders: codes pasted at pixel positions, and printed labels rendered through a model of the
camera's optics at a distance (``tests.fakes.optics``). Each pasted-code test runs with pyzbar
alone too, so the scanner is proven without zxing-cpp, as on a Pi that lacks it."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from kiosk.config import CameraSection
from kiosk.drivers.camera import QrScanner, SimulatedScanner, open_camera
from kiosk.drivers.camera_streams import CameraSettings, plan_streams
from kiosk.drivers.qr_decoding import (
    Decoder,
    RepeatFilter,
    decode_qr,
    default_decoder,
    zxing_decoder,
)
from kiosk.errors import CameraError
from tests.fakes.camera import FakeMappedArray, FakePicamera2, LabelInView, QrPlacement
from tests.fakes.camera_models import CAMERA_3, CAMERA_V2, CameraModel
from tests.fakes.holding import Conditions

DECODERS: dict[str, Decoder] = {"pyzbar": decode_qr, "default": default_decoder()}
HAS_ZXING = zxing_decoder() is not None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=list(DECODERS))
def decoder(request: pytest.FixtureRequest) -> Decoder:
    return DECODERS[str(request.param)]


def scanner(
    decoder: Decoder | None = None,
    settings: CameraSettings | None = None,
    model: CameraModel = CAMERA_3,
) -> tuple[FakePicamera2, QrScanner, FakeClock]:
    camera, clock = FakePicamera2(model=model), FakeClock()
    scan = QrScanner(camera, settings, decoder=decoder, clock=clock)
    scan.start()
    return camera, scan, clock


# streams and controls ---------------------------------------------------------------------


def test_the_streams_take_the_whole_view_and_decode_its_middle_at_full_size() -> None:
    v3 = plan_streams(CameraSettings(), CAMERA_3.pixel_array)
    assert (v3.main, v3.lores, v3.sensor) == ((2304, 1296), (1152, 648), (2304, 1296))
    assert v3.window == (576, 324, 1152, 648)
    v2 = plan_streams(CameraSettings(), CAMERA_V2.pixel_array)
    assert (v2.main, v2.lores, v2.sensor) == ((1600, 1202), (768, 576), (1640, 1232))
    narrow = plan_streams(CameraSettings(size=(640, 480), window=1.0, wide=False), (3280, 2464))
    assert (narrow.main, narrow.lores, narrow.window) == ((640, 480), None, (0, 0, 640, 480))


def test_the_camera_is_configured_for_reading_labels() -> None:
    camera, _, _ = scanner()
    assert camera.config["main"] == {"size": (2304, 1296), "format": "YUV420"}
    assert camera.config["lores"] == {"size": (1152, 648), "format": "YUV420"}
    assert camera.config["sensor"] == {"output_size": (2304, 1296)}
    assert camera.controls == {"AfMode": 2, "AfSpeed": 1, "ExposureTime": 5000}

    fixed, _, _ = scanner(settings=CameraSettings(focus="fixed", lens_position=4.0))
    assert fixed.controls["AfMode"] == 0 and fixed.controls["LensPosition"] == 4.0
    v2, _, _ = scanner(settings=CameraSettings(exposure_us=0), model=CAMERA_V2)
    assert v2.controls == {}  # no focus motor; the exposure left to the camera


def test_camera_settings_come_from_the_config(tmp_path: Path) -> None:
    section = CameraSection(focus="fixed", lens_position=3.0, exposure_us=4000, hold_s=2)
    settings = CameraSettings.of(section)
    assert settings == CameraSettings(focus="fixed", lens_position=3.0, exposure_us=4000, hold_s=2)
    assert CameraSettings.of(CameraSection(width=1280, height=720)).size == (1280, 720)
    with pytest.raises(ValueError, match="both width and height"):
        CameraSection(width=1280)
    # the older call, with the config's 0 x 0 for the sensor's own size
    assert QrScanner(FakePicamera2(), size=(0, 0)).settings.size is None
    assert QrScanner(FakePicamera2(), size=(800, 600)).settings.size == (800, 600)


# decoding ---------------------------------------------------------------------------------


def test_both_label_forms_decode(decoder: Decoder) -> None:
    camera, scan, _ = scanner(decoder)
    camera.show(
        QrPlacement("CK1:CAM-0001", x=700, y=400),
        QrPlacement("https://cage.example.edu/a/LENS-0001", x=1300, y=700, module_px=4),
    )
    assert scan.poll() == ["CK1:CAM-0001", "https://cage.example.edu/a/LENS-0001"]


@pytest.mark.parametrize(
    "placement",
    [
        QrPlacement("CK1:CAM-0002", x=800, y=400, rotate_deg=30),
        QrPlacement("CK1:CAM-0002", x=800, y=400, blur=0.8),
        QrPlacement("CK1:CAM-0002", x=800, y=400, contrast=0.5),
        QrPlacement("CK1:CAM-0002", x=800, y=400, module_px=3),
        QrPlacement("CK1:CAM-0002", x=800, y=400, tilt=0.2),
        QrPlacement("CK1:CAM-0002", x=800, y=400, glare=0.6),
        QrPlacement("CK1:CAM-0002", x=100, y=100, module_px=8),  # off the middle: wide view
    ],
)
def test_rotated_blurred_faint_small_tilted_glared_and_off_centre_codes(
    placement: QrPlacement, decoder: Decoder
) -> None:
    camera, scan, _ = scanner(decoder)
    camera.show(placement)
    assert scan.poll() == ["CK1:CAM-0002"]


def test_only_qr_codes_are_decoded() -> None:
    img = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(img)
    for i in range(0, 300, 6):  # a barcode-like pattern, not a QR code
        draw.rectangle([50 + i, 40, 52 + i, 160], fill=0)
    gray = np.asarray(img, dtype=np.uint8)
    assert decode_qr(gray) == [] and default_decoder()(gray) == []


# printed labels at a distance ---------------------------------------------------------------


HELD = Conditions(
    300,
    hand_speed_mm_s=80,
    motion_angle_deg=30,
    exposure_ms=5.0,
    tilt_x_deg=10,
    tilt_y_deg=-15,
    roll_deg=20,
    offset_mm=(15, -10),
    seed=3,
)


@pytest.mark.parametrize("stock", ["5160", "L7651"])
def test_a_label_moving_in_the_hand_is_read_at_30_cm_on_a_camera_module_3(stock: str) -> None:
    camera, scan, _ = scanner()
    camera.show(LabelInView("CK1:CAM-0003", stock, HELD))
    assert scan.poll() == ["CK1:CAM-0003"]


def test_a_label_is_read_at_25_cm_on_a_v2_focused_at_30_cm() -> None:
    camera, scan, _ = scanner(model=CAMERA_V2)
    held = Conditions(250, focus_mm=300, hand_speed_mm_s=80, exposure_ms=5.0, tilt_y_deg=15)
    camera.show(LabelInView("CK1:CAM-0004", "5160", held))
    assert scan.poll() == ["CK1:CAM-0004"]


def test_a_label_held_close_and_off_centre_is_read_in_the_wide_view() -> None:
    camera, scan, _ = scanner()
    close = Conditions(120, offset_mm=(-40, 12), hand_speed_mm_s=50, exposure_ms=5.0, seed=4)
    camera.show(LabelInView("CK1:CAM-0005", "5160", close))
    assert scan.poll() == ["CK1:CAM-0005"]
    assert scan.plan is not None
    x, y, w, h = scan.plan.window
    main = camera.capture_arrays(["main"])[0][0]
    assert scan.decoder(np.ascontiguousarray(main[y : y + h, x : x + w])) == []  # not in the middle


def test_the_former_stream_could_not_read_a_label_at_30_cm() -> None:
    former = CameraSettings(size=(640, 480), window=1.0, wide=False, exposure_us=0)
    camera, scan, _ = scanner(settings=former, model=CAMERA_V2)
    camera.show(LabelInView("CK1:CAM-0006", "5160", Conditions(300, focus_mm=300, seed=5)))
    assert scan.poll() == []


# repeats, by time --------------------------------------------------------------------------


def test_a_label_flickering_at_the_edge_of_range_is_one_read() -> None:
    """Decoded in one frame of six, at random frames, for 60 frames at 10 frames a second."""
    camera, scan, clock = scanner()
    seen = sorted(random.Random(7).sample(range(60), 10))
    reports = []
    for frame in range(60):
        if frame in seen:
            camera.show(QrPlacement("CK1:CAM-0007", x=800, y=400))
        else:
            camera.clear()
        reports += scan.poll()
        clock.now += 0.1
    assert reports == ["CK1:CAM-0007"]


def test_a_label_held_in_view_or_shown_again_soon_is_one_read_and_later_a_new_one() -> None:
    camera, scan, clock = scanner(settings=CameraSettings(hold_s=3.0))
    label = QrPlacement("CK1:CAM-0008", x=800, y=400)
    camera.show(label)
    reports = []
    for _ in range(50):  # five seconds in view
        reports += scan.poll()
        clock.now += 0.1
    camera.clear()
    clock.now += 2.5
    reports += scan.poll()
    camera.show(label)  # back within the hold time: the same read
    reports += scan.poll()
    assert reports == ["CK1:CAM-0008"]
    camera.clear()
    clock.now += 3.5
    scan.poll()
    camera.show(label)  # gone for longer: a new read (a second return, say)
    assert scan.poll() == ["CK1:CAM-0008"]


def test_the_repeat_filter_counts_time_not_frames() -> None:
    repeats = RepeatFilter(hold_s=2.0)
    assert repeats.fresh(["A"], 0.0) == ["A"]
    assert repeats.fresh([], 1.0) == [] and repeats.fresh(["A", "B"], 1.9) == ["B"]
    assert repeats.fresh(["A"], 3.8) == []  # seen at 1.9: still held
    assert repeats.fresh(["A"], 5.9) == ["A"]


# the decoder --------------------------------------------------------------------------------


def test_the_decoder_is_chosen_once_and_a_frame_reads_the_same_whatever_its_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    camera, scan, _clock = scanner()
    assert scan.decoder is not decode_qr if HAS_ZXING else scan.decoder is decode_qr
    camera.show(QrPlacement("CK1:CAM-0009", x=800, y=400, module_px=3, scale=0.6))
    first = scan.poll()
    for _ in range(5):  # the same frame, however many came before it
        scan.repeats.reset()
        assert scan.poll() == first
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # as on a Pi without zxing-cpp
    assert zxing_decoder() is None and default_decoder() is decode_qr


@pytest.mark.skipif(not HAS_ZXING, reason="pyzbar alone is the decoder without zxing-cpp")
def test_pyzbar_reads_where_zxing_found_a_symbol_it_could_not_decode() -> None:
    from bench.qr import make_frames

    glare = [f for f in make_frames(2) if f.kind == "glare"][1]  # a light's reflection on it
    zxing = zxing_decoder()
    assert zxing is not None and zxing(glare.image) == []
    decoder = default_decoder()
    assert [decoder(glare.image) for _ in range(3)] == [["CK1:GLA-0010"]] * 3
    empty = np.full((480, 640), 120, dtype=np.uint8)
    assert decoder(empty) == []


def test_only_the_decoded_parts_are_copied_out_of_the_cameras_buffers() -> None:
    camera, clock = FakePicamera2(), FakeClock()
    scan = QrScanner(camera, decoder=default_decoder(), clock=clock, mapped=FakeMappedArray)
    scan.start()
    camera.show(QrPlacement("CK1:CAM-0013", x=1000, y=500), QrPlacement("CK1:CAM-0014", x=80))
    assert scan.poll() == ["CK1:CAM-0013", "CK1:CAM-0014"]  # in the middle; in the wide view
    assert len(camera.requests) == 1 and camera.requests[0].released
    camera.fail_after(0)
    with pytest.raises(CameraError):
        scan.poll()
    assert all(r.released for r in camera.requests)


# failures and restarts ----------------------------------------------------------------------


def test_camera_failures_are_reported_and_a_start_reopens_the_camera() -> None:
    opened: list[FakePicamera2] = []

    def opener() -> FakePicamera2:
        opened.append(FakePicamera2())
        opened[-1].show(QrPlacement("CK1:CAM-0010", x=800, y=400))
        return opened[-1]

    clock = FakeClock()
    scan = QrScanner(opener=opener, clock=clock)
    scan.start()
    assert scan.poll() == ["CK1:CAM-0010"] and scan.last_frame_at == 100.0
    opened[0].fail_after(0)
    clock.now += 1
    with pytest.raises(CameraError, match="stopped delivering frames"):
        scan.poll()
    assert not scan.healthy and scan.last_error and scan.last_frame_at == 100.0

    scan.start()  # the app's retry: the broken camera is closed and a new one opened
    assert opened[0].closed and len(opened) == 2 and scan.healthy
    assert scan.poll() == ["CK1:CAM-0010"]  # repeats forgotten with the old camera
    assert scan.last_frame_at == 101.0

    scan.stop()
    assert opened[1].closed
    scan.start()
    assert len(opened) == 3 and scan.poll() == ["CK1:CAM-0010"]
    scan.start()  # already running: nothing happens
    assert len(opened) == 3


def test_a_camera_that_will_not_start_can_be_started_again() -> None:
    camera = FakePicamera2()
    camera.fail_starts(1)
    camera.show(QrPlacement("CK1:CAM-0011", x=800, y=400))
    scan = QrScanner(camera, clock=FakeClock())  # no opener: the same camera is used again
    with pytest.raises(CameraError, match="cannot start the camera"):
        scan.start()
    assert not scan.healthy
    with pytest.raises(CameraError, match="not started"):
        scan.poll()
    scan.start()
    assert scan.healthy and scan.poll() == ["CK1:CAM-0011"]
    scan.stop()
    assert not camera.started and not camera.closed
    scan.start()
    assert camera.started


def test_a_capture_failing_after_another_thread_restarted_the_camera_leaves_it_running() -> None:
    class StuckCamera(FakePicamera2):
        """A capture that hangs while a watchdog restarts the camera, then fails."""

        restart: QrScanner | None = None

        def capture_arrays(self, names: list[str]) -> tuple[list[Any], dict[str, Any]]:
            if self.restart is not None:
                scan, self.restart = self.restart, None
                scan.stop()
                scan.start()
                raise RuntimeError("Camera frontend has timed out!")
            return super().capture_arrays(names)

    camera = StuckCamera()
    camera.show(QrPlacement("CK1:CAM-0015", x=800, y=400))
    scan = QrScanner(camera, clock=FakeClock())
    scan.start()
    camera.restart = scan
    with pytest.raises(CameraError, match="before the camera restarted"):
        scan.poll()
    assert scan.healthy and scan.poll() == ["CK1:CAM-0015"]


def test_capture_before_start_is_refused() -> None:
    with pytest.raises(CameraError, match="not started"):
        QrScanner(FakePicamera2()).poll()
    with pytest.raises(ValueError, match="camera or an opener"):
        QrScanner()


def test_simulated_scanner_and_missing_picamera2(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedScanner()
    sim.show("CK1:X-1")
    sim.show("CK1:X-2")
    assert sim.poll() == ["CK1:X-1", "CK1:X-2"] and sim.poll() == []
    monkeypatch.setitem(sys.modules, "picamera2", None)  # as on a machine without it
    with pytest.raises(CameraError, match="python3-picamera2"):
        open_camera()
