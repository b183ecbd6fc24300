"""Kiosk responsiveness and size: tap-to-screen, scan-to-beep and frames decoded per second
through the real drivers (on fake chip, camera and pins), and the resident memory of real
``cagekeeper-kiosk`` processes: the return station with simulated drivers, and the return
station and the cage kiosk with the camera stack (the real scanner and decoders, on a stand-in
for picamera2 that holds the camera's frame buffers: ``bench.kiosk_camera``) and, for the cage
kiosk, the display.

Run: ``python -m bench.kiosk`` (``--taps N``, ``--repeat N``, ``--memory-only``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from bench.e2e import p95, rig
from bench.kiosk_camera import CAMERA_STACK_NOT_LOADED
from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.clock import SystemClock
from kiosk.drivers.camera import QrScanner
from kiosk.drivers.display import Display
from kiosk.drivers.gpio import GpioPins, LedIndicator
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.link import BrokerSettings
from kiosk.screens import CartScreen, IdleScreen, Screen
from kiosk.session import Cancel, Settings
from kiosk.ui.render import RenderReport
from kiosk.vocabulary import Tone
from tests.fakes.camera import FakePicamera2
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.mqtt_probe import Probe
from wire import Topics


class TimedIndicator(LedIndicator):
    """The real LED and buzzer driver, noting when the app asked for a beep."""

    def __init__(self, pins: GpioPins, pin_factory: MockFactory) -> None:
        super().__init__(pins, pin_factory=pin_factory)
        self.beeped = threading.Event()
        self.beeped_at = 0.0

    def beep(self, tone: Tone) -> None:
        super().beep(tone)
        self.beeped_at = time.perf_counter()
        self.beeped.set()


class TimedDisplay(Display):
    """The real renderer (off screen), noting when each screen was drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = threading.Condition()
        self.last: tuple[Screen, float] | None = None

    def show(self, screen: Screen) -> RenderReport:
        report = super().show(screen)
        with self.shown:
            self.last = (screen, time.perf_counter())
            self.shown.notify_all()
        return report

    def wait(
        self, kind: type, timeout: float = 5.0, showing: Callable[[Screen], bool] = lambda _: True
    ) -> float:
        """When a screen of ``kind`` (for which ``showing`` holds) was drawn."""
        deadline = time.monotonic() + timeout
        with self.shown:
            while (
                self.last is None or not isinstance(self.last[0], kind) or not showing(self.last[0])
            ):
                if not self.shown.wait(deadline - time.monotonic()):
                    raise TimeoutError(f"no {kind.__name__} drawn")
            return self.last[1]


def _lists(code: str) -> Callable[[Screen], bool]:
    return lambda screen: (
        isinstance(screen, CartScreen) and any(line.code == code for line in screen.lines)
    )


def responsiveness(taps: int) -> tuple[list[float], list[float], list[float], float]:
    """Per tap: ms from card on reader to cart drawn; per scan: ms from label in view to beep;
    and frames decoded per second while idle."""
    clock = SystemClock()
    with rig(["bench-cage"], assets=taps) as r:
        chip, camera = FakeMFRC522Chip(), FakePicamera2()
        reader = MFRC522(chip)
        factory = MockFactory(pin_class=MockPWMPin)
        indicator = TimedIndicator(GpioPins(green_led=17, red_led=27, buzzer=22), factory)
        display = TimedDisplay()
        display.open(size=(800, 480), fullscreen=False, offscreen=True)
        scanner = QrScanner(camera)
        app = KioskApp(
            AppSettings(
                kiosk_id="bench-cage",
                session=Settings(kiosk_name="Bench"),
                data_dir=r.folder / "kiosk",
                key=r.keys["bench-cage"],
                broker=BrokerSettings(
                    "127.0.0.1",
                    r.broker.port,
                    "bench-cage",
                    r.passwords["bench-cage"],
                    tls_ca=str(r.broker.ca_file),
                ),
            ),
            Devices(
                badges=BadgeReader(reader, clock.monotonic),
                codes=scanner,
                indicator=indicator,
                display=display,
            ),
            clock,
        )
        app.start_in_background()
        try:
            app.wait_replica(10)
            display.wait(IdleScreen)
            frames_before, started = scanner.frames, time.perf_counter()
            threading.Event().wait(1.0)  # let the camera loop run idle for a second
            fps = (scanner.frames - frames_before) / (time.perf_counter() - started)
            to_screen, to_beep, scan_to_screen = [], [], []
            for i in range(taps):
                t0 = time.perf_counter()
                chip.place_card(bytes.fromhex("04A1B2C3"))
                to_screen.append((display.wait(CartScreen) - t0) * 1000)
                chip.remove_card()
                indicator.beeped.clear()
                t0 = time.perf_counter()
                camera.show(f"CK1:A-{i:05d}")
                if not indicator.beeped.wait(5):
                    raise TimeoutError("no beep after a scan")
                to_beep.append((indicator.beeped_at - t0) * 1000)
                drawn = display.wait(CartScreen, showing=_lists(f"A-{i:05d}"))
                scan_to_screen.append((drawn - t0) * 1000)
                camera.clear()
                app.submit(Cancel())
                display.wait(IdleScreen)
                threading.Event().wait(0.35)  # the card must be away before it counts again
            return to_screen, to_beep, scan_to_screen, fps
        finally:
            app.stop()
            factory.reset()


def kiosk_memory_mb(kind: str) -> float:
    """Resident memory of a real kiosk process, connected to the broker with the replica of
    500 assets loaded: ``station`` (simulated drivers, no display), ``station-real`` (no
    camera, no display), ``station+camera`` or ``cage+display+camera`` (the camera through
    ``bench.kiosk_camera``). The real-driver kinds leave the badge reader and GPIO off (they
    need a Pi) but load gpiozero."""
    kiosk_id = "bench-door" if kind.startswith("station") else "bench-cage"
    with rig([kiosk_id], assets=500) as r:
        config = r.folder / "kiosk.toml"
        profile = "station" if kind.startswith("station") else "cage"
        text = (
            f'[kiosk]\nid = "{kiosk_id}"\nprofile = "{profile}"\n'
            f'data_dir = "{r.folder / "data"}"\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {r.broker.port}\n'
            f'password = "{r.passwords[kiosk_id]}"\ntls_ca = "{r.broker.ca_file}"\n'
            f'[signing]\nkey = "{r.keys[kiosk_id].hex()}"\n'
        )
        if kind == "station":
            text += "[drivers]\nsimulate = true\n[drivers.display]\nenabled = false\n"
            command = [sys.executable, "-m", "kiosk.cli", "--config", str(config)]
        else:
            display = "fullscreen = false\nwidth = 800\nheight = 480\n"
            text += (
                "[drivers]\nsimulate = false\n[drivers.rfid]\nenabled = false\n"
                "[drivers.gpio]\nenabled = false\n[drivers.display]\n"
                + (display if "display" in kind else "enabled = false\n")
                + ("" if "+camera" in kind else "[drivers.camera]\nenabled = false\n")
            )
            command = [sys.executable, "-m", "bench.kiosk_camera", str(config)]
        config.write_text(text)
        probe = Probe(r.broker.port, "hub", r.hub_password, "bench-probe")
        probe.subscribe(Topics().status(kiosk_id))
        env = os.environ | {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            probe.wait_for(Topics().status(kiosk_id), timeout=30)
            threading.Event().wait(3.0)  # replica in, threads settled, frames flowing
            status = Path(f"/proc/{proc.pid}/status").read_text()
            rss_kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            return rss_kb / 1024
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            probe.close()


MEMORY_KINDS = ("station", "station-real", "station+camera", "cage+display+camera")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-only", action="store_true")
    args = parser.parse_args()
    if args.memory_only:
        _print_memory(
            {k: [kiosk_memory_mb(k) for _ in range(args.repeat)] for k in MEMORY_KINDS},
            args.repeat,
        )
        return
    screen_med, screen_p95, beep_med, beep_p95, fps = [], [], [], [], []
    scan_med, scan_p95 = [], []
    memory: dict[str, list[float]] = {k: [] for k in MEMORY_KINDS}
    for _ in range(args.repeat):
        to_screen, to_beep, scan_to_screen, rate = responsiveness(args.taps)
        scan_med.append(statistics.median(scan_to_screen))
        scan_p95.append(p95(scan_to_screen))
        screen_med.append(statistics.median(to_screen))
        screen_p95.append(p95(to_screen))
        beep_med.append(statistics.median(to_beep))
        beep_p95.append(p95(to_beep))
        fps.append(rate)
        for kind in MEMORY_KINDS:
            memory[kind].append(kiosk_memory_mb(kind))
    print(f"medians of {args.repeat} runs (min-max); {args.taps} taps and scans per run")
    for name, values, unit in (
        ("tap-to-screen, median", screen_med, "ms"),
        ("tap-to-screen, p95", screen_p95, "ms"),
        ("scan-to-beep, median", beep_med, "ms"),
        ("scan-to-beep, p95", beep_p95, "ms"),
        ("scan-to-screen (item in the cart), median", scan_med, "ms"),
        ("scan-to-screen (item in the cart), p95", scan_p95, "ms"),
        ("frames decoded per second (main + wide view)", fps, "frames/s"),
    ):
        print(
            f"{name:<44}{statistics.median(values):>9.1f} {unit:<9}"
            f"({min(values):.1f}-{max(values):.1f})"
        )
    _print_memory(memory, args.repeat)


def _print_memory(memory: dict[str, list[float]], repeat: int) -> None:
    print(f"kiosk process resident memory, medians of {repeat} runs (min-max)")
    for kind, values in memory.items():
        print(
            f"  {kind:<42}{statistics.median(values):>9.1f} MB       "
            f"({min(values):.1f}-{max(values):.1f})"
        )
    print(f"  not loaded here (no Raspberry Pi): {CAMERA_STACK_NOT_LOADED}")


if __name__ == "__main__":
    main()
