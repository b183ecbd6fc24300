"""Typed commands for a kiosk on simulated drivers (``--simulate``).

On a laptop there is no reader and no camera, and a window is awkward to tap in a script: each
line typed on the terminal stands in for a badge, a label or a touch on one of the screen's
buttons. Badges and labels go through the same simulated drivers the app polls; touches become
the same session inputs the screen's buttons give (kiosk.session.ui_input), so the session sees
what a Pi would give it. Every screen shown is also written as a PNG.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from kiosk.app import KioskApp
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.screens import Screen
from kiosk.session import PinEnter, PinKey, StartTyping, TypeKey, typed_label, ui_input
from kiosk.vocabulary import Action
from wire.badges import BadUid, normal_uid

HELP = """\
tap <badge uid>             a badge on the reader, e.g. tap 04A1B2C3
scan <label>                a label in front of the camera, e.g. scan CK1:CAM-0001
type <code>                 the code typed on the screen's keyboard, e.g. type CAM-0001
ok|damaged|missing <code>   how a returned item comes back (its line's buttons)
remove <code>               take a line out of the cart
extend <code>               more time on something already held (the welcome screen)
confirm | cancel | done     the screen's main buttons
count | enrol | door        staff buttons: stocktake, a new badge, open the cage door
pin <digits>                the door PIN on the PIN pad, then Unlock, e.g. pin 2468
still                       touch the screen (answers "Still there?")
screen                      what the screen shows now, and where its picture is saved
quit                        stop the kiosk"""

PANEL = (800, 480)  # the official 7" panel, for kiosks simulated without a display

# typed words -> the screen's button actions (kiosk.ui's Button.action)
_TOUCHES = {
    "confirm": Action.CONFIRM,
    "cancel": Action.CANCEL,
    "done": Action.DONE,
    "count": Action.STOCKTAKE,
    "enrol": Action.ENROLL,
    "enroll": Action.ENROLL,
    "door": Action.UNLOCK,
    "still": Action.STILL_HERE,
}
_WITH_CODE = {
    "remove": Action.REMOVE,
    "extend": Action.EXTEND,
    "ok": Action.CONDITION_OK,
    "damaged": Action.CONDITION_DAMAGED,
    "missing": Action.CONDITION_MISSING_PART,
}


COMMANDS = frozenset({"tap", "scan", "type", "pin", "screen", *_TOUCHES, *_WITH_CODE})


def screen_file(app: KioskApp, folder: Path) -> Path:
    return folder / f"{app.settings.kiosk_id}.png"


def save_screens(app: KioskApp, folder: Path) -> Path:
    """Write every screen ``app`` shows to ``folder``/<kiosk id>.png (replaced each time, never
    half-written); returns that path. A kiosk with a display saves what the display drew; one
    without draws the screen off screen at the 7" panel's size."""
    folder.mkdir(parents=True, exist_ok=True)
    path = screen_file(app, folder)
    display = app.devices.display
    screenshot = getattr(display, "screenshot", None)
    if callable(screenshot):
        app.on_screen = lambda _screen: screenshot(path)
        return path
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from kiosk.ui import Renderer, save_png

    surface = pygame.Surface(PANEL)
    renderer = Renderer(surface)

    def draw(screen: Screen) -> None:
        renderer.render(screen)
        save_png(surface, path)

    app.on_screen = draw
    return path


def run_console(
    app: KioskApp, lines: Iterable[str], out: TextIO, screens: Path | None = None
) -> None:
    """Carry out each typed line until ``quit`` or the end of input."""
    print(f"Type commands for kiosk {app.settings.kiosk_id} ('help' lists them).", file=out)
    if screens is not None:
        print(f"Each screen is saved as {screen_file(app, screens)}", file=out)
    for line in lines:
        if not command(app, line, out, screens):
            app.request_stop()
            return


def command(app: KioskApp, line: str, out: TextIO, screens: Path | None = None) -> bool:
    """Carry out one typed line; False when it was ``quit``."""
    badges, codes = app.devices.badges, app.devices.codes
    word, _, rest = line.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if not word:
        return True
    if word == "quit":
        return False
    if word == "tap" and rest and isinstance(badges, SimulatedBadgeReader):
        try:
            badges.tap(normal_uid(rest))
        except BadUid as exc:
            print(exc, file=out)
    elif word == "scan" and rest and isinstance(codes, SimulatedScanner):
        codes.show(rest)
    elif word in ("tap", "scan") and rest:
        what = "badge reader" if word == "tap" else "camera"
        print(f"this kiosk's {what} is not simulated (or is switched off)", file=out)
    elif word == "type" and rest:
        _type(app, rest)
    elif word == "pin" and rest:
        for key in rest:
            app.submit(PinKey(key))
        app.submit(PinEnter())
    elif word in _TOUCHES and not rest:
        _touch(app, _TOUCHES[word], None)
    elif word in _WITH_CODE and rest:
        _touch(app, _WITH_CODE[word], rest.upper())
    elif word == "screen":
        print(_describe(app.screen), file=out)
        if screens is not None:
            print(f"picture: {screen_file(app, screens)}", file=out)
    else:
        print(HELP, file=out)
    return True


def _touch(app: KioskApp, action: Action, code: str | None) -> None:
    inp = ui_input(action, code)
    if inp is not None:
        app.submit(inp)


def _type(app: KioskApp, code: str) -> None:
    """Key by key on the on-screen keyboard, then "Look up": the code is resolved like a
    scanned label."""
    app.submit(StartTyping())
    for key in code.strip().upper():
        app.submit(TypeKey(key))
    app.submit(app.label(typed_label(code)))


def _describe(screen: Screen | None) -> str:
    """One line a person can check against the picture."""
    if screen is None:
        return "no screen yet"
    fields = {k: v for k, v in vars(screen).items() if v not in (None, (), False, "")}
    fields.pop("tz", None)
    lines = fields.pop("lines", ())
    text = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("now", "loans"))
    items = "; ".join(
        f"{ln.code} {ln.action.value}" + (f" ({ln.condition})" if ln.action == "return" else "")
        for ln in lines
    )
    return f"{type(screen).__name__}: {text}" + (f" | {items}" if items else "")
