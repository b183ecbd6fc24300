"""QR decoding on hard frames: the decode rate and ms per 640x480 frame, per kind of trouble.

The last column is the kiosk's own decoder (``kiosk.drivers.qr_decoding.default_decoder``:
zxing-cpp without its inverted and rotated retries; pyzbar only where zxing-cpp is not
installed), one frame each. Frames are synthetic: a label rendered by the qrcode library, then
rotated, tilted in perspective, blurred, shrunk, faded, washed by glare, or several to a frame,
pasted on a noisy grey background. ``bench.optics`` renders the printed labels through a
camera model. Run: ``python -m bench.qr`` (``--per-kind N``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import qrcode
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from kiosk.drivers.qr_decoding import decode_qr, default_decoder

W, H = 640, 480


@dataclass(frozen=True)
class Frame:
    kind: str
    image: NDArray[np.uint8]
    texts: tuple[str, ...]


def _label(text: str, module_px: int) -> Image.Image:
    code = qrcode.QRCode(border=2, box_size=module_px)
    code.add_data(text)
    code.make(fit=True)
    img: Image.Image = code.make_image().get_image().convert("L")
    return img


def _tilt(img: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """A perspective view, as when a label is held at an angle to the camera."""
    w, h = img.size
    d = amount * w
    # Sampling a quad larger than the label, with uneven margins, draws the whole label
    # foreshortened inside the output, one side nearer the camera than the other.
    quad = [
        -rng.uniform(0, d),
        -rng.uniform(0, d),
        -rng.uniform(0, d),
        h + rng.uniform(0, d),
        w + rng.uniform(0, d),
        h + rng.uniform(0, d),
        w + rng.uniform(0, d),
        -rng.uniform(0, d),
    ]
    return img.transform(
        (w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=255
    )


def _shrink(img: Image.Image, factor: float) -> Image.Image:
    """A label far from the camera: fewer than two pixels per module."""
    size = (max(1, int(img.width * factor)), max(1, int(img.height * factor)))
    return img.resize(size, Image.Resampling.BILINEAR)


def _glare(scene: Image.Image, rng: random.Random, x: int, y: int, size: int) -> Image.Image:
    spot = Image.new("L", scene.size, 0)
    cx, cy = x + rng.randint(0, size), y + rng.randint(0, size)
    r = size // 2
    ImageDraw.Draw(spot).ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    spot = spot.filter(ImageFilter.GaussianBlur(size / 5))
    return Image.fromarray(
        np.minimum(255, np.asarray(scene, np.int16) + np.asarray(spot)).astype(np.uint8)
    )


def _scene(
    labels: list[Image.Image], rng: random.Random
) -> tuple[Image.Image, list[tuple[int, int, int]]]:
    base = rng.randint(90, 190)
    noise = np.clip(np.random.default_rng(rng.randint(0, 2**31)).normal(base, 8, (H, W)), 0, 255)
    scene = Image.fromarray(noise.astype(np.uint8))
    spots = []
    for i, label in enumerate(labels):
        slot_w = W // len(labels)
        x = i * slot_w + rng.randint(0, max(0, slot_w - label.width))
        y = rng.randint(0, max(0, H - label.height))
        scene.paste(label, (x, y))
        spots.append((x, y, max(label.size)))
    return scene, spots


def make_frames(per_kind: int, seed: int = 7) -> list[Frame]:
    rng = random.Random(seed)
    frames: list[Frame] = []

    def add(kind: str, build: Callable[[str], Image.Image], count: int = 1) -> None:
        for n in range(per_kind):
            texts = tuple(f"CK1:{kind.upper()[:3]}-{n:03d}{k}" for k in range(count))
            scene, spots = _scene([build(t) for t in texts], rng)
            if kind == "glare":
                x, y, size = spots[0]
                scene = _glare(scene, rng, x, y, size)
            frames.append(Frame(kind, np.asarray(scene, dtype=np.uint8), texts))

    add("clean", lambda t: _label(t, 5))
    add("rotated", lambda t: _label(t, 5).rotate(rng.uniform(10, 80), expand=True, fillcolor=255))
    add("tilted", lambda t: _tilt(_label(t, 5), rng, rng.uniform(0.1, 0.25)))
    add("blurred", lambda t: _label(t, 4).filter(ImageFilter.GaussianBlur(rng.uniform(1.5, 3.0))))
    add("small", lambda t: _shrink(_label(t, 3), rng.uniform(0.45, 0.7)))
    add("faint", lambda t: ImageEnhance.Contrast(_label(t, 5)).enhance(rng.uniform(0.06, 0.15)))
    add("glare", lambda t: _label(t, 5))
    add("several", lambda t: _label(t, 4), count=3)
    return frames


def _zxing() -> Callable[[NDArray[np.uint8]], list[str]] | None:
    try:
        import zxingcpp
    except ImportError:
        return None

    qr_only: Any = zxingcpp.BarcodeFormat.QRCode  # stubs differ between releases

    def read(gray: NDArray[np.uint8]) -> list[str]:
        found = zxingcpp.read_barcodes(gray, formats=qr_only)
        return [str(r.text) for r in found]

    return read


def measure(
    decoder: Callable[[NDArray[np.uint8]], list[str]], frames: list[Frame]
) -> dict[str, tuple[float, float]]:
    """Per kind: (share of codes decoded, median ms per frame)."""
    found: dict[str, list[float]] = {}
    times: dict[str, list[float]] = {}
    for frame in frames:
        start = time.perf_counter()
        texts = set(decoder(frame.image))
        times.setdefault(frame.kind, []).append((time.perf_counter() - start) * 1000)
        hit = sum(t in texts for t in frame.texts) / len(frame.texts)
        found.setdefault(frame.kind, []).append(hit)
    return {k: (statistics.mean(found[k]), statistics.median(times[k])) for k in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40)
    args = parser.parse_args()
    frames = make_frames(args.per_kind)
    decoders: dict[str, Callable[[NDArray[np.uint8]], list[str]]] = {"pyzbar": decode_qr}
    zx = _zxing()
    if zx is not None:
        decoders["zxing-cpp"] = zx

    decoders["kiosk"] = default_decoder()
    results = {name: measure(dec, frames) for name, dec in decoders.items()}
    print(f"{len(frames)} frames of {W}x{H}, {args.per_kind} per kind")
    head = "".join(f"{name + ' decoded':>24}{'ms/frame':>10}" for name in decoders)
    print(f"{'kind':<10}{head}")
    for kind in results["pyzbar"]:
        cells = "".join(
            f"{results[n][kind][0]:>24.0%}{results[n][kind][1]:>10.1f}" for n in decoders
        )
        print(f"{kind:<10}{cells}")


if __name__ == "__main__":
    main()
