"""Reading distance: how far from the camera each label stock is read within half a second.

The project's label for each stock (laid out by ``hub.labelsheet``) is rendered through a model
of the camera (``tests.fakes.optics``: field of view, sensor mode, scaler crop, stream size,
defocus, a hand's motion during the exposure, sensor noise at the gain needed, tilt and aim)
into the frames of a fake Picamera2, and read by the kiosk's real scanner (``QrScanner`` with
its decoder). A trial is the frames of half a second (``--frames``, 5: the kiosk decoding 10
frames a second); it succeeds if the label is reported in one of them. Each frame draws its
own hand motion and noise; the label's tilt, roll and aim are drawn once a trial.

Run: ``python -m bench.optics`` (``--trials N``, ``--stocks``, ``--distances``, ``--setups``,
``--decoders`` for the pyzbar and zxing-cpp comparison, ``--quick``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hub.labelsheet import STOCKS, qr_on_label
from kiosk.drivers.camera import QrScanner
from kiosk.drivers.camera_streams import CameraSettings, plan_streams
from kiosk.drivers.qr_decoding import Decoder, Gray, decode_qr, default_decoder, zxing_decoder
from tests.fakes.camera import FakePicamera2, LabelInView
from tests.fakes.camera_models import CAMERA_3, CAMERA_V2, CameraModel, Stream
from tests.fakes.holding import Conditions, HandModel
from tests.fakes.optics import render

CODES = [f"CK1:LAB-{n:05d}" for n in range(0, 80000, 9973)]  # a few codes, cached renders


@dataclass(frozen=True)
class Setup:
    key: str
    title: str
    camera: CameraModel
    settings: CameraSettings
    focus_mm: float | None  # fixed focus distance; None: autofocus on the label


KIOSK = CameraSettings()
BEFORE = CameraSettings(size=(640, 480), window=1.0, wide=False, exposure_us=0)
SETUPS = {
    s.key: s
    for s in (
        Setup(
            "v2-before",
            "Camera Module v2, the former stream: the whole view in 640x480, auto exposure, "
            "lens as shipped (focused for 1 m to infinity)",
            CAMERA_V2,
            BEFORE,
            2000.0,
        ),
        Setup(
            "v2-shipped",
            "Camera Module v2, kiosk stream, lens as shipped (focused for 1 m to infinity)",
            CAMERA_V2,
            KIOSK,
            2000.0,
        ),
        Setup(
            "v2",
            "Camera Module v2, kiosk stream, lens turned to focus at 30 cm",
            CAMERA_V2,
            KIOSK,
            300.0,
        ),
        Setup("v3", "Camera Module 3, kiosk stream, continuous autofocus", CAMERA_3, KIOSK, None),
        Setup(
            "v3-fixed",
            "Camera Module 3, kiosk stream, lens fixed at 3.3 dioptres (30 cm)",
            CAMERA_3,
            replace(KIOSK, focus="fixed", lens_position=3.3),
            1000 / 3.3,
        ),
    )
}


class FrameClock:
    """The scanner's clock: frame times at the camera's rate, never the machine's."""

    def __init__(self, fps: float = 10.0) -> None:
        self.now = 1000.0
        self.step = 1 / fps

    def __call__(self) -> float:
        return self.now


def run_cell(
    setup: Setup, stock: str, distance_mm: float, trials: int, frames: int, seed: int
) -> tuple[float, list[float]]:
    """Share of trials read within ``frames`` frames, and the decode ms of every frame."""
    rng = random.Random(seed)
    hand = HandModel()
    if setup.camera.autofocus and setup.focus_mm is None:
        fixed: dict[str, object] = {}
    else:
        fixed = {"focus_mm": setup.focus_mm, "focus_error_dioptre": 0.0}
    if setup.settings.exposure_us > 0:
        fixed["exposure_ms"] = setup.settings.exposure_us / 1000
    clock = FrameClock()
    camera = FakePicamera2(model=setup.camera)
    scanner = QrScanner(camera, setup.settings, clock=clock)
    scanner.start()
    read, ms = 0, []
    for trial in range(trials):
        code = CODES[trial % len(CODES)]
        pose = hand.draw(rng, distance_mm, **fixed)
        clock.now += setup.settings.hold_s + 1  # the last trial's label is long gone
        for _ in range(frames):
            frame = hand.draw(rng, distance_mm, **fixed)
            c = replace(
                pose,
                hand_speed_mm_s=frame.hand_speed_mm_s,
                motion_angle_deg=frame.motion_angle_deg,
                focus_error_dioptre=frame.focus_error_dioptre,
                light_ms=frame.light_ms,
                seed=frame.seed,
            )
            camera.show(LabelInView(code, stock, c))
            before = scanner.decode_seconds
            found = scanner.poll()
            ms.append((scanner.decode_seconds - before) * 1000)
            clock.now += clock.step
            if code in found:
                read += 1
                break
    scanner.stop()
    return read / trials, ms


def reach(
    rates: dict[float, float], threshold: float = 0.9, nearest: float = 200.0
) -> float | None:
    """The furthest distance read in ``threshold`` of trials, with every distance from
    ``nearest`` (a label held closer is out of the camera's view or focus) to it as well."""
    best = None
    for d in sorted(rates):
        if d < nearest:
            continue
        if rates[d] < threshold:
            break
        best = d
    return best


def sweep(args: argparse.Namespace) -> None:
    distances = [float(d) * 10 for d in args.distances]
    print(
        f"read within {args.frames} frames (half a second at 10 frames/s), "
        f"{args.trials} trials a cell; hand {HandModel()}"
    )
    for key in args.setups:
        setup = SETUPS[key]
        s = setup.settings
        plan = plan_streams(s, setup.camera.pixel_array)
        lores = f", whole view in {plan.lores[0]}x{plan.lores[1]}" if plan.lores else ""
        print(
            f"\n{setup.title}\n  main {plan.main[0]}x{plan.main[1]}, decoded: its middle "
            f"{plan.window[2]}x{plan.window[3]}{lores}; exposure {s.exposure_us or 'auto'} us"
        )
        head = "".join(f"{d / 10:>6.0f}" for d in distances)
        print(f"  {'stock':<7}{'module':>8}  {head}   reach (90 %)   decode ms/frame")
        for stock in args.stocks:
            rates: dict[float, float] = {}
            all_ms: list[float] = []
            for i, d in enumerate(distances):
                rate, ms = run_cell(setup, stock, d, args.trials, args.frames, seed=i)
                rates[d] = rate
                all_ms += ms
            module = qr_on_label(CODES[0], stock).module_mm
            cells = "".join(f"{rates[d]:>6.0%}" for d in distances)
            got = reach(rates)
            far = f"{got / 10:.0f} cm" if got is not None else "-"
            print(
                f"  {stock:<7}{module:>6.2f}mm  {cells}   {far:>12}   "
                f"{statistics.median(all_ms):>6.1f}"
            )


def compare_decoders(args: argparse.Namespace) -> None:
    """pyzbar against zxing-cpp on the same modelled frames, and on frames with no label."""
    rng = random.Random(11)
    hand = HandModel()
    frames = []
    for setup in (SETUPS["v2"], SETUPS["v3"]):
        plan = plan_streams(setup.settings, setup.camera.pixel_array)
        stream = Stream(plan.main, 1.0, plan.sensor)
        x, y, w, h = plan.window
        for stock in ("5160", "L7651", "L7160"):
            for d in range(200, 460, 50):
                for _ in range(args.trials):
                    fixed = {} if setup.focus_mm is None else {"focus_mm": setup.focus_mm}
                    c = hand.draw(rng, d, exposure_ms=5.0, **fixed)
                    image = render(CODES[0], stock, setup.camera, stream, c).image
                    frames.append(np.ascontiguousarray(image[y : y + h, x : x + w]))
    v3 = plan_streams(KIOSK, CAMERA_3.pixel_array)
    empty = [
        render(CODES[0], "5160", CAMERA_3, Stream(v3.main, 1.0, v3.sensor), c).image[
            : v3.window[3], : v3.window[2]
        ]
        for c in (Conditions(300, offset_mm=(900, 900), seed=i) for i in range(20))
    ]
    empty = [np.ascontiguousarray(e) for e in empty]
    decoders: dict[str, Decoder] = {"pyzbar": decode_qr}
    zx = zxing_decoder()
    if zx is not None:
        decoders["zxing-cpp (kiosk)"] = zx
        decoders["zxing-cpp (library defaults)"] = _zxing_defaults()
        decoders["kiosk (+ pyzbar where zxing failed)"] = default_decoder()
    print(
        f"\n{len(frames)} modelled frames (the middle of the main stream, v2 and v3, 20-45 cm, "
        "5160, L7651, L7160), and 20 with no label; median of 3 passes"
    )
    print(f"  {'decoder':<38}{'read':>7}{'ms/frame':>10}{'p90':>7}{'no label ms':>13}")
    hits: dict[str, list[bool]] = {}
    for name, decoder in decoders.items():
        timings: list[list[float]] = []
        for _ in range(3):
            got, ms = _time(decoder, frames)
            timings.append(ms)
        hits[name] = got
        per_frame = [statistics.median(t) for t in zip(*timings, strict=True)]
        _, idle = _time(decoder, empty)
        p90 = sorted(per_frame)[int(0.9 * len(per_frame))]
        print(
            f"  {name:<38}{sum(got) / len(got):>7.0%}{statistics.median(per_frame):>10.1f}"
            f"{p90:>7.1f}{statistics.median(idle):>13.1f}"
        )
    if zx is not None:
        pairs = zip(hits["pyzbar"], hits["zxing-cpp (kiosk)"], strict=True)
        extra = sum(p and not z for p, z in pairs)
        print(f"  frames pyzbar read and zxing-cpp (kiosk) did not: {extra}")


def _zxing_defaults() -> Decoder:
    import zxingcpp

    qr: Any = zxingcpp.BarcodeFormat.QRCode

    def read(gray: Gray) -> list[str]:
        return [str(r.text) for r in zxingcpp.read_barcodes(gray, formats=qr)]

    return read


def _time(decoder: Decoder, frames: list[Gray]) -> tuple[list[bool], list[float]]:
    got, ms = [], []
    for f in frames:
        t0 = time.perf_counter()
        texts = decoder(f)
        ms.append((time.perf_counter() - t0) * 1000)
        got.append(CODES[0] in texts)
    return got, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--stocks", nargs="+", default=list(STOCKS))
    parser.add_argument("--distances", nargs="+", type=int, default=list(range(10, 50, 5)))
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--decoders", action="store_true", help="only compare the decoders")
    parser.add_argument("--quick", action="store_true", help="3 trials, 5160 and L7651")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.stocks = 3, ["5160", "L7651"]
    if args.decoders:
        compare_decoders(args)
        return
    sweep(args)


if __name__ == "__main__":
    main()
