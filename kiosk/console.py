"""Typed badge taps and label scans for a kiosk on simulated drivers (``--simulate``).

On a laptop there is no reader and no camera: each line typed on the terminal stands in for one,
and goes through the same simulated drivers the app polls, so the session sees what a Pi's
drivers would give it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from kiosk.app import KioskApp
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.session import Cancel, Confirm

HELP = (
    "tap <badge uid>    a badge on the reader, e.g. tap 04A1B2C3\n"
    "scan <label>       a label in front of the camera, e.g. scan CK1:CAM-0001\n"
    "confirm | cancel   the screen's buttons\n"
    "quit               stop the kiosk"
)


def run_console(app: KioskApp, lines: Iterable[str], out: TextIO) -> None:
    """Carry out each typed line until ``quit`` or the end of input."""
    badges, codes = app.devices.badges, app.devices.codes
    print(f"Type commands for kiosk {app.settings.kiosk_id} ('help' lists them).", file=out)
    for line in lines:
        word, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        if not word:
            continue
        if word == "tap" and rest and isinstance(badges, SimulatedBadgeReader):
            badges.tap(rest)
        elif word == "scan" and rest and isinstance(codes, SimulatedScanner):
            codes.show(rest)
        elif word == "confirm":
            app.submit(Confirm())
        elif word == "cancel":
            app.submit(Cancel())
        elif word == "quit":
            app.request_stop()
            return
        elif word in ("tap", "scan") and rest:
            what = "badge reader" if word == "tap" else "camera"
            print(f"this kiosk's {what} is not simulated (or is switched off)", file=out)
        else:
            print(HELP, file=out)
