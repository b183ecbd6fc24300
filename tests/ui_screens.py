"""Every kiosk screen and state the UI tests draw, with the texts and buttons each must show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.screens import (
    CartLine,
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    HeldItem,
    IdleScreen,
    LineAction,
    ReceiptScreen,
    Reservation,
    Screen,
)
from kiosk.session import NOT_A_CODE
from kiosk.ui.render import (
    IDLE_HEADLINE,
    OFFLINE_LABEL,
    RETURNED_HEADLINE,
    RETURNED_HINT,
    STARTING_HEADLINE,
    STARTING_HINT,
    STATION_HEADLINE,
    STATION_HINT,
    STATION_STARTING,
    TYPE_PLACEHOLDER,
    TYPE_TITLE,
)

SIZES = [(800, 480), (1280, 720)]
# panels where every target must take a finger and every text must read at arm's length
FULL_SIZE = [(800, 480), (1024, 600), (1280, 720), (1920, 1080)]
NOW = datetime(2026, 11, 23, 9, 41, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
REFUSED_REASON = "Still on someone else's loan: see staff"
LINES = (
    CartLine("CAM-0001", "Canon C70 cinema camera", LineAction.CHECKOUT, due=DUE),
    CartLine("LENS-0001", "Zeiss 50mm lens", LineAction.RETURN),
    CartLine("MIC-0007", "Rode NTG4+ microphone", LineAction.REFUSED, reason=REFUSED_REASON),
)
REFUSED_ONLY = (CartLine("CAM-0003", "Blackmagic 6K", LineAction.REFUSED, REFUSED_REASON),)
KIT_BACK = (
    CartLine("LENS-0001", "Zeiss 50mm lens", LineAction.RETURN, condition="damaged"),
    CartLine("KIT-0001", "Interview audio kit", LineAction.RETURN),
    CartLine(
        "MIC-0002", "Lavalier mic", LineAction.RETURN, condition="missing_part", kit="KIT-0001"
    ),
)
STAFF_NOTE = "Staff: 3 records not yet confirmed by the hub since 09:02"
CAMERA_DOWN = "Camera not working: type the code on the label"
READER_DOWN = "Badge reader not working: please ask staff"
RESERVED = (
    Reservation("KIT-0001", "Canon C70 kit", NOW, NOW + timedelta(hours=1)),
    Reservation("LIGHT-0004", "Aputure 300d light", NOW, NOW + timedelta(hours=1)),
)
SCREENS: dict[str, tuple[Screen, list[str]]] = {
    "idle": (IdleScreen("Media cage", NOW), ["Media cage", IDLE_HEADLINE, "09:41"]),
    "idle-offline": (
        IdleScreen("Media cage", NOW, offline=True, message="Tap your badge first"),
        ["Media cage", IDLE_HEADLINE, OFFLINE_LABEL, "Tap your badge first"],
    ),
    "idle-staff-note": (
        IdleScreen("Media cage", NOW, staff_note=STAFF_NOTE),
        ["Media cage", IDLE_HEADLINE, STAFF_NOTE],
    ),
    "reader-trouble": (
        IdleScreen("Media cage", NOW, troubles=(READER_DOWN, CAMERA_DOWN)),
        ["Media cage", IDLE_HEADLINE, READER_DOWN, CAMERA_DOWN],
    ),
    "starting": (
        IdleScreen("Media cage", NOW, offline=True, starting=True),
        ["Media cage", STARTING_HEADLINE, STARTING_HINT],
    ),
    "cart": (
        CartScreen("Ada Lovelace", LINES, message="That code is not an equipment label"),
        [
            "Ada Lovelace",
            "Canon C70 cinema camera",
            "CAM-0001",
            "Check out",
            "Return",
            "Refused",
            REFUSED_REASON,
            "Due Wed 25 Nov 17:00",
            "Confirm",
            "Cancel",
            "Remove",
            "OK",
            "Damaged",
            "Missing part",
            "That code is not an equipment label",
        ],
    ),
    "cart-refused-only": (
        CartScreen("Ada Lovelace", REFUSED_ONLY),
        ["Ada Lovelace", "Blackmagic 6K", REFUSED_REASON, "Cancel"],
    ),
    "still-there": (
        CartScreen("Ada Lovelace", LINES[:1], countdown=9),
        ["Ada Lovelace", "Canon C70 cinema camera", "Confirm"],  # and the countdown, below
    ),
    "camera-trouble": (
        CartScreen("Ada Lovelace", LINES[:1], message=CAMERA_DOWN, can_type=True),
        ["Ada Lovelace", "Canon C70 cinema camera", CAMERA_DOWN, "Type code", "Confirm"],
    ),
    "type-code": (
        CodeEntryScreen("CAM-00", person_name="Ada Lovelace"),
        [TYPE_TITLE, "CAM-00", "Look up", "Cancel", "Delete", "Q", "0", "-"],
    ),
    "type-code-empty": (
        CodeEntryScreen("", message=NOT_A_CODE, countdown=7),
        [TYPE_TITLE, TYPE_PLACEHOLDER, "Look up", "Still there? 7 s"],
    ),
    "receipt": (
        ReceiptScreen("Ada Lovelace", LINES[:2]),
        [
            "Ada Lovelace",
            "Canon C70 cinema camera",
            "Checked out",
            "Returned",
            "Due Wed 25 Nov 17:00",
            "Done",
        ],
    ),
    "receipt-reported": (
        ReceiptScreen("Ada Lovelace", KIT_BACK[:1] + KIT_BACK[1:2]),
        ["Ada Lovelace", "Reported: 1 damaged", "Zeiss 50mm lens", "Reported damaged", "Done"],
    ),
    "denied": (
        DeniedScreen("Badge not recognised", "Please see staff.", offline=True),
        ["Badge not recognised", "Please see staff.", OFFLINE_LABEL],
    ),
    "welcome": (
        CartScreen(
            "Ada Lovelace",
            message="1 overdue: please bring it back",
            loans=(
                HeldItem(
                    "AUD-0001", "Zoom F6 field recorder", NOW - timedelta(hours=3), overdue=True
                ),
                HeldItem("TRI-0001", "Sachtler tripod", DUE, extendable=True),
            ),
        ),
        [
            "Ada Lovelace",
            "You have 2 items out",
            "Zoom F6 field recorder",
            "OVERDUE · Due Mon 23 Nov 06:41",
            "Sachtler tripod",
            "Due Wed 25 Nov 17:00",
            "Extend",
            "1 overdue: please bring it back",
        ],
    ),
    "reservation": (
        CartScreen(
            "Ada Lovelace",
            loans=(HeldItem("TRI-0001", "Sachtler tripod", DUE, extendable=True),),
            reserved=RESERVED,
            reservation="Your reservation: Canon C70 kit, Aputure 300d light, until 11:00",
        ),
        [
            "Ada Lovelace",
            "Canon C70 kit",
            "KIT-0001",
            "To scan",
            "Aputure 300d light",
            "LIGHT-0004",
            "Sachtler tripod",
        ],
    ),
    "reservation-scanning": (
        CartScreen(
            "Ada Lovelace",
            (
                CartLine("KIT-0001", "Canon C70 kit", LineAction.CHECKOUT, due=NOW),
                CartLine("CAM-0002", "Sony FX3", LineAction.REFUSED, "Reserved by someone else"),
            ),
            reserved=RESERVED[1:],
            reservation="Your reservation: Canon C70 kit, Aputure 300d light, until 11:00",
        ),
        [
            "Ada Lovelace",
            "Canon C70 kit",
            "Still to scan for your reservation: Aputure 300d light",
            "Reserved by someone else",
        ],
    ),
    "return-problem": (
        CartScreen("Ada Lovelace", KIT_BACK),
        ["Ada Lovelace", "Zeiss 50mm lens", "Damaged", "Interview audio kit", "Missing"],
    ),
    "kit-receipt": (
        ReceiptScreen(
            "Ada Lovelace",
            (
                CartLine("KIT-0001", "Interview audio kit", LineAction.RETURN),
                CartLine(
                    "MIC-0002",
                    "Lavalier mic",
                    LineAction.REFUSED,
                    "Reported missing: still on your loans",
                    kit="KIT-0001",
                ),
            ),
        ),
        [
            "Ada Lovelace",
            "Reported: 1 missing",
            "Interview audio kit",
            "Not taken",
            "Reported missing: still on your loans",
        ],
    ),
    "staff": (
        CartScreen(
            "Sam Staff",
            message="Enrol a badge: tap the person's current badge",
            staff=True,
            staff_note=STAFF_NOTE,
        ),
        [
            "Sam Staff",
            "Enrol a badge: tap the person's current badge",
            "Open door",
            "Enrol",
            "Count",
            STAFF_NOTE,
        ],
    ),
    "stocktake": (
        CartScreen(
            "Sam Staff",
            (
                CartLine("CAM-0001", "Canon C70 cinema camera", LineAction.COUNTED),
                CartLine(
                    "GHOST-9",
                    "GHOST-9",
                    LineAction.REFUSED,
                    "Unknown item: please hand it to staff",
                ),
            ),
            message="Count: 1 counted",
            staff=True,
            stocktake=True,
        ),
        [
            "Sam Staff",
            "Canon C70 cinema camera",
            "Counted",
            "Count: 1 counted",
            "Done counting",
        ],
    ),
    "maintenance-refused": (
        CartScreen(
            "Ada Lovelace",
            (
                CartLine(
                    "CAM-0003",
                    "Blackmagic 6K",
                    LineAction.REFUSED,
                    "In for repair: please choose another",
                ),
            ),
        ),
        ["Ada Lovelace", "Blackmagic 6K", "In for repair: please choose another"],
    ),
    "station": (
        IdleScreen("Door returns", NOW, station=True),
        ["Door returns", STATION_HEADLINE, STATION_HINT],
    ),
    "station-returned": (
        IdleScreen(
            "Door returns",
            NOW,
            station=True,
            message="Returned: Zeiss 50mm lens",
            returned="Zeiss 50mm lens",
        ),
        [RETURNED_HEADLINE, "Zeiss 50mm lens", RETURNED_HINT],
    ),
    "station-camera-down": (
        IdleScreen("Door returns", NOW, station=True, troubles=(CAMERA_DOWN,), can_type=True),
        ["Door returns", STATION_HEADLINE, CAMERA_DOWN, "Type the code"],
    ),
    "station-starting": (
        IdleScreen("Door returns", NOW, station=True, starting=True),
        ["Door returns", STATION_HEADLINE, STATION_STARTING],
    ),
    "door-alarm": (
        IdleScreen("Media cage", NOW, message="Please close the cage door"),
        ["Media cage", IDLE_HEADLINE, "Please close the cage door"],
    ),
}
STAFF_TOOLS = {("unlock", None), ("enroll", None), ("stocktake", None)}
CHOICES = ("condition:ok", "condition:damaged", "condition:missing_part")
KEYS = {("key", k) for k in "1234567890QWERTYUIOPASDFGHJKL-ZXCVBNM."} | {("key", "backspace")}
BUTTONS = {
    "idle": set(),
    "idle-offline": set(),
    "idle-staff-note": set(),
    "reader-trouble": set(),
    "starting": set(),
    "cart": {("cancel", None), ("confirm", None)}
    | {("remove", line.code) for line in LINES}
    | {(c, "LENS-0001") for c in CHOICES},
    "cart-refused-only": {("cancel", None), ("remove", "CAM-0003")},
    "still-there": {("cancel", None), ("confirm", None), ("remove", "CAM-0001")},
    "camera-trouble": {("cancel", None), ("type", None), ("confirm", None), ("remove", "CAM-0001")},
    "type-code": KEYS | {("cancel", None), ("enter", None)},
    "type-code-empty": KEYS | {("cancel", None), ("enter", None)},
    "receipt": {("done", None)},
    "receipt-reported": {("done", None)},
    "denied": set(),
    "welcome": {("cancel", None), ("extend", "TRI-0001")},
    "reservation": {("cancel", None), ("extend", "TRI-0001")},
    "reservation-scanning": {
        ("cancel", None),
        ("confirm", None),
        ("remove", "KIT-0001"),
        ("remove", "CAM-0002"),
    },
    "return-problem": {("cancel", None), ("confirm", None)}
    | {(a, c) for a in ("remove", *CHOICES) for c in ("LENS-0001", "KIT-0001", "MIC-0002")},
    "kit-receipt": {("done", None)},
    "staff": {("cancel", None)} | STAFF_TOOLS,
    "stocktake": {("cancel", None), ("confirm", None), ("remove", "GHOST-9")}
    | (STAFF_TOOLS - {("stocktake", None)}),
    "maintenance-refused": {("cancel", None), ("remove", "CAM-0003")},
    "station": set(),
    "station-returned": set(),
    "station-camera-down": {("type", None)},
    "station-starting": set(),
    "door-alarm": set(),
}
