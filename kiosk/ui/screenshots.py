"""``python -m kiosk.ui.screenshots docs/screens``: every kiosk screen as PNG, at the official
7-inch size and at 720p, from sample data (the README shows them).

The samples are a New York cage's: times are stored in UTC and drawn in the cage's zone.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.screens import (
    CartLine,
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    HeldItem,
    IdleScreen,
    LineAction,
    PinScreen,
    ReceiptScreen,
    Reservation,
    Screen,
    reservation_refusal,
    reservation_text,
)

SIZES = ((800, 480), (1280, 720))
TZ = "America/New_York"
NOW = datetime(2026, 11, 23, 21, 5, tzinfo=UTC)  # 16:05 in New York
DUE = NOW + timedelta(hours=48)
NAME = "Film cage, Building 4"
LINES = (
    CartLine("CAM-0001", "Canon C70 cinema camera", LineAction.CHECKOUT, due=DUE),
    CartLine("LENS-0001", "Zeiss CP.3 50mm", LineAction.RETURN, condition="damaged"),
    CartLine(
        "CAM-0002", "Sony FX3 camera", LineAction.REFUSED, "Still on someone else's loan: see staff"
    ),
)
RESERVED_END = NOW + timedelta(hours=2)  # 18:05 in New York
RESERVED = (
    Reservation("KIT-0001", "Canon C70 kit", NOW - timedelta(minutes=5), RESERVED_END),
    Reservation("LIGHT-0004", "Aputure 300d light", NOW - timedelta(minutes=5), RESERVED_END),
)
SAMPLES: dict[str, Screen] = {
    "idle": IdleScreen(NAME, NOW, tz=TZ),
    "idle-offline": IdleScreen(NAME, NOW, offline=True, tz=TZ),
    "welcome": CartScreen(
        "Ada Lovelace",
        message="1 overdue: please bring it back",
        loans=(
            HeldItem("AUD-0001", "Zoom F6 field recorder", NOW - timedelta(hours=20), overdue=True),
            HeldItem("TRI-0001", "Sachtler tripod", NOW + timedelta(hours=30), extendable=True),
        ),
        tz=TZ,
    ),
    "cart": CartScreen("Ada Lovelace", LINES, tz=TZ),
    "receipt": ReceiptScreen("Ada Lovelace", LINES[:2], tz=TZ),
    "denied": DeniedScreen("Badge not recognised", "Please ask staff to register your badge."),
    "return-problem": CartScreen(
        "Ada Lovelace",
        (
            CartLine("LENS-0001", "Zeiss CP.3 50mm", LineAction.RETURN, condition="damaged"),
            CartLine(
                "MIC-0002",
                "Lavalier mic",
                LineAction.RETURN,
                condition="missing_part",
                kit="KIT-0001",
            ),
            CartLine(
                "CAM-0003",
                "Blackmagic 6K",
                LineAction.REFUSED,
                "In for repair: please choose another",
            ),
        ),
        tz=TZ,
    ),
    "still-there": CartScreen("Ada Lovelace", LINES[:1], countdown=12, tz=TZ),
    "staff": CartScreen(
        "Sam Okafor (staff)",
        (CartLine("CAM-0001", "Canon C70 cinema camera", LineAction.COUNTED),),
        message="Count: 1 counted",
        staff=True,
        stocktake=True,
        staff_note="Staff: 3 records not yet confirmed by the hub since 15:42",
        tz=TZ,
    ),
    "pin-pad": PinScreen("Sam Okafor", 3, message="Wrong PIN: 4 tries left"),
    "station": IdleScreen("Door returns", NOW, station=True, tz=TZ),
    "station-returned": IdleScreen(
        "Door returns",
        NOW,
        station=True,
        message="Returned: Zeiss CP.3 50mm",
        returned="Zeiss CP.3 50mm",
        tz=TZ,
    ),
    "camera-trouble": CartScreen(
        "Ada Lovelace",
        message="Camera not working: type the code on the label",
        can_type=True,
        tz=TZ,
    ),
    "type-code": CodeEntryScreen("CAM-00", person_name="Ada Lovelace", tz=TZ),
    "reader-trouble": IdleScreen(
        NAME, NOW, troubles=("Badge reader not working: please ask staff",), tz=TZ
    ),
    "starting": IdleScreen(NAME, NOW, starting=True, offline=True, tz=TZ),
    "reservation": CartScreen(
        "Ada Lovelace",
        loans=(
            HeldItem("TRI-0001", "Sachtler tripod", NOW + timedelta(hours=30), extendable=True),
        ),
        tz=TZ,
        reserved=RESERVED,
        reservation=reservation_text(RESERVED, NOW, TZ),
    ),
    "reservation-scanning": CartScreen(
        "Ada Lovelace",
        (
            CartLine("KIT-0001", "Canon C70 kit", LineAction.CHECKOUT, due=RESERVED_END),
            CartLine(
                "CAM-0002",
                "Sony FX3 camera",
                LineAction.REFUSED,
                reservation_refusal(NOW + timedelta(hours=3), NOW, TZ),
            ),
        ),
        tz=TZ,
        reserved=RESERVED[1:],
        reservation=reservation_text(RESERVED, NOW, TZ),
    ),
}


def write(folder: Path) -> list[Path]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from kiosk.ui import Renderer, save_png

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for width, height in SIZES:
        surface = pygame.Surface((width, height))
        renderer = Renderer(surface)
        for name, screen in SAMPLES.items():
            renderer.render(screen)
            path = folder / f"{name}-{width}x{height}.png"
            save_png(surface, path)
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screens")):
        print(p)
