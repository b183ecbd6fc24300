"""The scanner against a fake Picamera2 whose frames hold real QR codes, decoded by pyzbar (and
by zxing-cpp taking turns with it where that is installed: each decoding test runs with pyzbar
alone too, so pyzbar is proven on its own)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from kiosk.drivers.camera import (
    Decoder,
    QrScanner,
    SimulatedScanner,
    decode_qr,
    default_decoders,
    open_camera,
)
from kiosk.errors import CameraError
from tests.fakes.camera import FakePicamera2, QrPlacement

DECODERS: dict[str, list[Decoder]] = {"pyzbar": [decode_qr], "default": default_decoders()}


@pytest.fixture(params=list(DECODERS))
def decoders(request: pytest.FixtureRequest) -> list[Decoder]:
    return DECODERS[str(request.param)]


def scanner(decoders: list[Decoder] | None = None) -> tuple[FakePicamera2, QrScanner]:
    camera = FakePicamera2()
    scan = QrScanner(camera, forget_after_frames=3, decoders=decoders)
    scan.start()
    return camera, scan


def test_both_label_forms_decode(decoders: list[Decoder]) -> None:
    camera, scan = scanner(decoders)
    camera.show(
        "CK1:CAM-0001",
        QrPlacement("https://cage.example.edu/a/LENS-0001", x=420, y=250, module_px=4),
    )
    assert scan.poll() == ["CK1:CAM-0001", "https://cage.example.edu/a/LENS-0001"]
    assert camera.format == "YUV420" and camera.size == (640, 480)


def test_a_code_in_view_is_reported_once_until_it_leaves(decoders: list[Decoder]) -> None:
    camera, scan = scanner(decoders)
    camera.show("CK1:CAM-0001")
    assert scan.poll() == ["CK1:CAM-0001"]
    assert [scan.poll() for _ in range(10)] == [[]] * 10
    camera.clear()
    assert [scan.poll() for _ in range(3)] == [[]] * 3
    camera.show("CK1:CAM-0001")
    assert scan.poll() == ["CK1:CAM-0001"]


@pytest.mark.parametrize(
    "placement",
    [
        QrPlacement("CK1:CAM-0002", rotate_deg=30),
        QrPlacement("CK1:CAM-0002", blur=0.8),
        QrPlacement("CK1:CAM-0002", contrast=0.5),
        QrPlacement("CK1:CAM-0002", module_px=3),
        QrPlacement("CK1:CAM-0002", tilt=0.2),
        QrPlacement("CK1:CAM-0002", glare=0.6),
    ],
)
def test_rotated_blurred_faint_small_tilted_and_glared_codes(
    placement: QrPlacement, decoders: list[Decoder]
) -> None:
    camera, scan = scanner(decoders)
    camera.show(placement)
    assert scan.poll() == ["CK1:CAM-0002"]


def test_only_qr_codes_are_decoded() -> None:
    img = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(img)
    for i in range(0, 300, 6):  # a barcode-like pattern, not a QR code
        draw.rectangle([50 + i, 40, 52 + i, 160], fill=0)
    assert decode_qr(np.asarray(img, dtype=np.uint8)) == []


def test_camera_failures_are_reported() -> None:
    camera, scan = scanner()
    camera.fail_after(1)
    assert scan.poll() == []
    with pytest.raises(CameraError, match="stopped delivering frames"):
        scan.poll()
    assert not scan.healthy and scan.last_error
    idle = QrScanner(FakePicamera2())
    with pytest.raises(CameraError):
        idle.poll()  # capture before start, as the real camera refuses it


def test_simulated_scanner_and_missing_picamera2(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedScanner()
    sim.show("CK1:X-1")
    sim.show("CK1:X-2")
    assert sim.poll() == ["CK1:X-1", "CK1:X-2"] and sim.poll() == []
    monkeypatch.setitem(sys.modules, "picamera2", None)  # as on a machine without it
    with pytest.raises(CameraError, match="python3-picamera2"):
        open_camera()


def test_a_label_too_small_for_pyzbar_is_read_by_taking_turns_with_zxing() -> None:
    camera, scan = scanner()
    far = QrPlacement("CK1:CAM-0042", x=300, y=200, module_px=3, scale=0.5)
    camera.show(far)
    frame = np.ascontiguousarray(camera.capture_array()[:480])
    assert decode_qr(frame) == []  # pyzbar alone misses it
    assert len(scan.decoders) == 2, "zxing-cpp is part of the kiosk install"
    assert scan.poll() + scan.poll() == ["CK1:CAM-0042"]  # found within two frames, once
