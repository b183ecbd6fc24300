"""The renderer and the display driver on real pygame frames (SDL's dummy video driver).

Layout is checked through the render report: each text's rectangle must lie on the surface, texts
must not overlap each other, buttons must not overlap. Taps are real pygame events posted to the
queue, the way SDL delivers them from a touch panel.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest

from kiosk.drivers.display import DEBOUNCE_S, Display
from kiosk.errors import DriverError
from kiosk.screens import (
    CartLine,
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    Loan,
    ReceiptScreen,
    Reservation,
    Screen,
)
from kiosk.session import NOT_A_CODE, Settings, State, cage_zone, screen_for
from kiosk.ui import Renderer, RenderReport, UiAction, save_png, theme
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
    Face,
    still_there,
)
from kiosk.ui.text import ELLIPSIS, fit, format_due, wrap
from kiosk.vocabulary import Action
from wire import ReplicaPolicy
from wire.messages import OpeningSpec

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
                Loan("AUD-0001", "Zoom F6 field recorder", NOW - timedelta(hours=3), overdue=True),
                Loan("TRI-0001", "Sachtler tripod", DUE, extendable=True),
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
            loans=(Loan("TRI-0001", "Sachtler tripod", DUE, extendable=True),),
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


@pytest.fixture(autouse=True, scope="module")
def sdl_dummy() -> Iterator[None]:
    """Headless SDL for the whole module, set before pygame's display starts."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SDL_VIDEODRIVER", "dummy")
        mp.setenv("SDL_AUDIODRIVER", "dummy")
        pygame.display.quit()  # so a display another module opened picks up the dummy driver
        pygame.font.init()
        yield
        pygame.display.quit()


@pytest.fixture
def display() -> Iterator[Display]:
    shown = Display()
    shown.open(size=(800, 480), fullscreen=False)
    yield shown
    shown.close()


def render(screen: Screen, size: tuple[int, int]) -> tuple[pygame.Surface, RenderReport]:
    surface = pygame.Surface(size)
    return surface, Renderer(surface).render(screen)


def gap_between(a: pygame.Rect, b: pygame.Rect) -> int:
    """How far apart two targets are: the clear space a finger has between them."""
    dx = max(0, b.left - a.right, a.left - b.right)
    dy = max(0, b.top - a.bottom, a.top - b.bottom)
    return max(dx, dy)


def assert_laid_out(surface: pygame.Surface, report: RenderReport) -> None:
    bounds = surface.get_rect()
    for text, rect in report.texts:
        assert bounds.contains(rect), f"{text!r} at {rect} leaves the {bounds.size} screen"
    for (a, ra), (b, rb) in itertools.combinations(report.texts, 2):
        assert not ra.colliderect(rb), f"{a!r} {ra} overlaps {b!r} {rb}"
    for one, other in itertools.combinations(report.buttons, 2):
        assert not one.rect.colliderect(other.rect), f"{one} overlaps {other}"
    for button in report.buttons:
        assert bounds.contains(button.rect)


def assert_fingers_and_eyes(report: RenderReport) -> None:
    """At the 7" panel's size and up: a fingertip fits every target and never lands on the
    next one, and every text can be read at arm's length."""
    for button in report.buttons:
        w, h = button.rect.size
        assert min(w, h) >= theme.MIN_TOUCH_PX, f"{button} is too small for a finger"
    for one, other in itertools.combinations(report.buttons, 2):
        gap = gap_between(one.rect, other.rect)
        assert gap >= theme.MIN_GAP_PX, f"{one} and {other} are only {gap} px apart"
    for (text, _), cap in zip(report.texts, report.caps, strict=True):
        assert cap >= theme.MIN_READABLE_CAP_PX, f"{text!r} has {cap} px capitals"


def colours_in(surface: pygame.Surface, rect: pygame.Rect, step: int = 3) -> set[tuple[int, ...]]:
    return {
        tuple(surface.get_at((x, y)))[:3]
        for x in range(rect.left, rect.right, step)
        for y in range(rect.top, rect.bottom, step)
    }


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_each_screen_draws_its_texts_inside_the_surface(name: str, size: tuple[int, int]) -> None:
    screen, expected = SCREENS[name]
    surface, report = render(screen, size)

    drawn = report.strings()
    missing = [text for text in expected if text not in drawn]
    assert not missing, f"{missing} not among {drawn}"
    assert_laid_out(surface, report)
    assert {(b.action, b.code) for b in report.buttons} == BUTTONS[name]
    assert len(colours_in(surface, surface.get_rect(), step=7)) > 3, "the frame is blank"
    headline = next(rect for text, rect in report.texts if text == expected[1])
    assert len(colours_in(surface, headline, step=1)) > 2, "the headline has no ink"


@pytest.mark.parametrize(
    "size", [(1024, 600), (1920, 1080), (640, 480), (480, 800)], ids=lambda s: f"{s[0]}x{s[1]}"
)
@pytest.mark.parametrize("name", list(SCREENS))
def test_other_panels_and_a_rotated_one_keep_the_layout(name: str, size: tuple[int, int]) -> None:
    screen, expected = SCREENS[name]
    surface, report = render(screen, size)
    assert_laid_out(surface, report)
    assert expected[1] in report.strings()  # the headline fits across, uncut


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_font_sizes_follow_the_screen_height(size: tuple[int, int]) -> None:
    _, small = render(SCREENS["idle"][0], (800, 480))
    _, large = render(SCREENS["idle"][0], size)
    [small_rect] = [r for t, r in small.texts if t == IDLE_HEADLINE]
    [large_rect] = [r for t, r in large.texts if t == IDLE_HEADLINE]
    assert large_rect.height == pytest.approx(small_rect.height * size[1] / 480, rel=0.1)
    assert small_rect.height >= 480 // 10  # big enough to read across the cage


def test_clock_comes_from_the_screen_model_not_the_system() -> None:
    _, report = render(IdleScreen("Cage", datetime(2031, 1, 6, 23, 59, tzinfo=UTC)), (800, 480))
    assert {"23:59", "Mon 6 Jan"} <= set(report.strings())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_names_are_cut_with_an_ellipsis_and_stay_inside(size: tuple[int, int]) -> None:
    long_name = "Extremely long equipment name " * 10
    person = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh the Third"
    screen = CartScreen(
        person,
        (
            CartLine("CAM-0001", long_name, LineAction.CHECKOUT, due=DUE),
            CartLine("MIC-0007", long_name, LineAction.REFUSED, reason=long_name),
        ),
        message=long_name,
    )
    surface, report = render(screen, size)

    assert_laid_out(surface, report)
    cut = [text for text in report.strings() if text.endswith(ELLIPSIS)]
    assert len(cut) >= 4  # the person, both names, the reason (and the message's last line)
    assert all(text.rstrip(ELLIPSIS) in long_name + person for text in cut)


def test_a_long_denial_wraps_and_stays_inside() -> None:
    reason = "Your badge has expired; please ask staff at the front desk to renew it. " * 3
    surface, report = render(
        DeniedScreen("Badge expired or not recognised here", reason), (800, 480)
    )
    assert_laid_out(surface, report)
    assert len(report.texts) >= 3  # the title and more than one line of reason


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_many_lines_show_the_newest_that_fit_and_count_the_rest(size: tuple[int, int]) -> None:
    lines = tuple(
        CartLine(f"CAM-{i:04}", f"Camera {i}", LineAction.CHECKOUT, due=DUE) for i in range(15)
    )
    surface, report = render(CartScreen("Ada Lovelace", lines), size)

    assert_laid_out(surface, report)
    removes = [b.code for b in report.buttons if b.action == "remove"]
    assert 2 <= len(removes) < len(lines)
    assert removes == [line.code for line in lines[-len(removes) :]]
    assert f"+{len(lines) - len(removes)} more" in report.strings()
    assert report.button("confirm") is not None


def test_an_empty_cart_asks_for_a_label() -> None:
    surface, report = render(CartScreen("Ada Lovelace"), (800, 480))
    assert_laid_out(surface, report)
    assert "Show each item's label to the camera" in report.strings()
    assert not [b for b in report.buttons if b.action == "remove"]
    assert report.button("confirm") is None  # nothing to confirm yet
    assert report.button("cancel") is not None


def test_due_times_read_like_a_diary() -> None:
    assert format_due(DUE, "UTC") == "Due Wed 25 Nov 17:00"


def test_fit_and_wrap_respect_the_width() -> None:
    font = pygame.font.Font(None, 30)
    assert fit("short", font, 500) == "short"
    cut = fit("a rather long sentence that will not fit", font, 120)
    assert cut.endswith(ELLIPSIS) and font.size(cut)[0] <= 120
    lines = wrap("one two three four five six seven eight nine ten", font, 120, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(font.size(line)[0] <= 120 for line in lines)


def test_control_characters_in_data_do_not_break_drawing() -> None:
    line = CartLine("CAM-1", "Lens\x00\n  kit", LineAction.CHECKOUT)  # SDL_ttf rejects NUL
    _, report = render(CartScreen("Ada\tLovelace", (line,)), (800, 480))
    assert {"Lens kit", "Ada Lovelace"} <= set(report.strings())


def test_hit_finds_the_button_under_a_point() -> None:
    _, report = render(SCREENS["cart"][0], (800, 480))
    confirm = report.button("confirm")
    assert confirm is not None
    assert report.hit(confirm.rect.center) is confirm
    assert report.hit((0, 0)) is None


# the display driver ----------------------------------------------------------------------


def finger(kind: int, pos: tuple[int, int], size: tuple[int, int], finger_id: int = 0) -> None:
    pygame.event.post(
        pygame.event.Event(
            kind,
            touch_id=1,
            finger_id=finger_id,
            x=pos[0] / size[0],
            y=pos[1] / size[1],
            dx=0.0,
            dy=0.0,
        )
    )


def mouse(kind: int, pos: tuple[int, int], *, touch: bool) -> None:
    pygame.event.post(pygame.event.Event(kind, button=1, pos=pos, touch=touch))


def centre_of(display: Display, action: str, code: str | None = None) -> tuple[int, int]:
    assert display.last_report is not None
    button = display.last_report.button(action, code)
    assert button is not None
    return (button.rect.centerx, button.rect.centery)


def test_a_finger_tap_on_confirm_is_a_confirm(display: Display) -> None:
    display.show(SCREENS["cart"][0])
    finger(pygame.FINGERUP, centre_of(display, "confirm"), display.size)
    assert display.poll_actions() == [UiAction(Action.CONFIRM)]


def test_a_tap_on_a_remove_names_its_line(display: Display) -> None:
    display.show(SCREENS["cart"][0])
    pos = centre_of(display, "remove", "LENS-0001")
    finger(pygame.FINGERDOWN, pos, display.size)
    finger(pygame.FINGERUP, pos, display.size)
    assert display.poll_actions() == [UiAction(Action.REMOVE, "LENS-0001")]


def test_a_mouse_click_works_for_laptops(display: Display) -> None:
    display.show(SCREENS["receipt"][0])
    pos = centre_of(display, "done")
    mouse(pygame.MOUSEBUTTONDOWN, pos, touch=False)
    mouse(pygame.MOUSEBUTTONUP, pos, touch=False)
    assert display.poll_actions() == [UiAction(Action.DONE)]


def test_one_touch_counts_once_though_sdl_reports_it_twice(display: Display) -> None:
    display.show(SCREENS["cart"][0])
    pos = centre_of(display, "confirm")
    finger(pygame.FINGERDOWN, pos, display.size)
    mouse(pygame.MOUSEBUTTONDOWN, pos, touch=True)
    finger(pygame.FINGERUP, pos, display.size)
    mouse(pygame.MOUSEBUTTONUP, pos, touch=True)
    assert display.poll_actions() == [UiAction(Action.CONFIRM)]
    assert display.poll_actions() == []


def test_a_panel_that_also_sends_plain_clicks_is_debounced() -> None:
    now = [100.0]
    shown = Display(monotonic=lambda: now[0])
    shown.open(size=(800, 480), fullscreen=False)
    try:
        shown.show(SCREENS["cart"][0])
        pos = centre_of(shown, "confirm")
        finger(pygame.FINGERUP, pos, shown.size)
        mouse(pygame.MOUSEBUTTONUP, pos, touch=False)  # no touch flag: looks like a mouse
        assert shown.poll_actions() == [UiAction(Action.CONFIRM)]
        now[0] += DEBOUNCE_S + 0.01
        finger(pygame.FINGERUP, pos, shown.size)  # a deliberate second tap, later
        assert shown.poll_actions() == [UiAction(Action.CONFIRM)]
    finally:
        shown.close()


def test_a_key_hit_twice_types_twice_but_a_panels_copy_counts_once() -> None:
    now = [100.0]
    shown = Display(monotonic=lambda: now[0])
    shown.open(size=(800, 480), fullscreen=False)
    try:
        shown.show(SCREENS["type-code"][0])
        pos = centre_of(shown, "key", "0")
        finger(pygame.FINGERUP, pos, shown.size)
        mouse(pygame.MOUSEBUTTONUP, pos, touch=False)  # the same touch, again, as a mouse
        assert shown.poll_actions() == [UiAction(Action.KEY, "0")]
        now[0] += 0.15
        finger(pygame.FINGERUP, pos, shown.size)  # "00": the second tap counts
        assert shown.poll_actions() == [UiAction(Action.KEY, "0")]
    finally:
        shown.close()


def test_sliding_off_a_button_does_nothing(display: Display) -> None:
    display.show(SCREENS["cart"][0])
    finger(pygame.FINGERDOWN, centre_of(display, "cancel"), display.size)
    finger(pygame.FINGERUP, centre_of(display, "confirm"), display.size)
    finger(pygame.FINGERDOWN, centre_of(display, "cancel"), display.size, finger_id=1)
    finger(pygame.FINGERUP, (2, 2), display.size, finger_id=1)
    assert display.poll_actions() == []


def test_a_touch_between_buttons_only_says_the_person_is_still_there(display: Display) -> None:
    display.show(SCREENS["still-there"][0])
    finger(pygame.FINGERDOWN, (2, 2), display.size)
    finger(pygame.FINGERUP, (2, 2), display.size)
    mouse(pygame.MOUSEBUTTONUP, (3, 3), touch=False)
    assert display.poll_actions() == [UiAction(Action.TOUCH), UiAction(Action.TOUCH)]


def test_quit_is_an_action(display: Display) -> None:
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert display.poll_actions() == [UiAction(Action.QUIT)]


def test_fullscreen_hides_the_pointer() -> None:
    shown = Display()
    shown.open(size=(800, 480), fullscreen=True)
    try:
        assert not pygame.mouse.get_visible()
        surface = pygame.display.get_surface()
        assert surface is not None
        # SDL may give full screen its own mode; the layout follows whatever size it got
        assert_laid_out(surface, shown.show(SCREENS["cart"][0]))
    finally:
        shown.close()
    assert not shown.is_open


def test_using_a_closed_display_is_a_driver_error() -> None:
    with pytest.raises(DriverError):
        Display().show(SCREENS["idle"][0])
    assert Display().poll_actions() == []


def test_screenshots_are_pngs_of_the_right_size(display: Display, tmp_path: Path) -> None:
    display.show(SCREENS["cart"][0])
    display.screenshot(tmp_path / "display.png")
    assert pygame.image.load(tmp_path / "display.png").get_size() == (800, 480)
    for size in SIZES:
        for name, (screen, _) in SCREENS.items():
            surface, _ = render(screen, size)
            path = tmp_path / f"{name}-{size[0]}x{size[1]}.png"
            save_png(surface, path)
            assert path.read_bytes().startswith(b"\x89PNG")
            assert pygame.image.load(path).get_size() == size
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporaries left


def test_offscreen_displays_draw_without_taking_the_screen(tmp_path: Path) -> None:
    first, second = Display(), Display()
    first.open(size=(800, 480), fullscreen=False, offscreen=True)
    second.open(size=(1280, 720), fullscreen=False, offscreen=True)
    try:
        assert first.show(SCREENS["idle"][0]).strings()
        second.show(SCREENS["cart"][0])
        assert pygame.display.get_surface() is None  # SDL's window was never opened
        assert first.poll_actions() == []
        second.screenshot(tmp_path / "second.png")
        assert pygame.image.load(tmp_path / "second.png").get_size() == (1280, 720)
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("size", [(800, 480), (1280, 720)])
def test_welcome_shows_loans_inside_the_screen(size: tuple[int, int]) -> None:
    display = Display()
    display.open(size=size, fullscreen=False, offscreen=True)
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    loans = (
        Loan("AUD-1", "Zoom F6 field recorder", start, overdue=True),
        Loan("TRI-1", "Sachtler tripod", start + timedelta(days=1)),
    )
    report = display.show(
        CartScreen("Ada Lovelace", loans=loans, message="1 overdue: please bring it back")
    )
    drawn = " ".join(report.strings())
    assert "You have 2 items out" in drawn and "Sachtler tripod" in drawn and "OVERDUE" in drawn
    assert all(pygame.Rect(0, 0, *size).contains(rect) for _, rect in report.texts)
    display.close()


@pytest.mark.parametrize("size", FULL_SIZE, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_return_line_offers_each_condition_in_colours_unlike_a_refusal(
    size: tuple[int, int],
) -> None:
    line = CartLine("LENS-0001", "Zeiss 50mm", LineAction.RETURN, condition="damaged")
    surface, report = render(CartScreen("Ada Lovelace", (line,)), size)
    choices = [report.button(c, "LENS-0001") for c in CHOICES]
    assert all(choices) and {"OK", "Damaged", "Missing part"} <= set(report.strings())
    damaged = choices[1]
    assert damaged is not None and report.hit(damaged.rect.center) == damaged
    fill = tuple(surface.get_at((damaged.rect.centerx, damaged.rect.top + 6)))[:3]
    assert fill == theme.CONDITION_FILL["damaged"] != theme.REFUSED_FILL
    assert theme.REFUSED_FILL not in theme.CONDITION_FILL.values()


def test_extendable_loans_get_an_extend_button() -> None:
    display = Display()
    display.open(size=(800, 480), fullscreen=False, offscreen=True)
    due = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
    loans = (Loan("CAM-1", "Camera", due, extendable=True), Loan("LENS-1", "Lens", due))
    report = display.show(CartScreen("Ada Lovelace", loans=loans))
    button = report.button("extend", "CAM-1")
    assert button is not None and report.button("extend", "LENS-1") is None
    assert button.rect.height >= 48 and pygame.Rect(0, 0, 800, 480).contains(button.rect)
    display.close()


@pytest.mark.parametrize("size", [(800, 480), (1280, 720)])
def test_staff_see_their_tools_in_full(size: tuple[int, int]) -> None:
    display = Display()
    display.open(size=size, fullscreen=False, offscreen=True)
    report = display.show(CartScreen("Sam Staff", LINES[:1], staff=True))
    for action in ("unlock", "enroll", "stocktake", "confirm", "cancel"):
        assert report.button(action) is not None, action
    assert {"Open door", "Enrol", "Count", "Confirm", "Cancel"} <= set(report.strings())
    display.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_longest_welcome_warning_is_shown_whole(size: tuple[int, int]) -> None:
    display = Display()
    display.open(size=size, fullscreen=False, offscreen=True)
    message = (
        "No new loans until 05 Mar: 3 late returns in 120 days. 1 overdue: please bring it back"
    )
    report = display.show(CartScreen("Ada Lovelace", message=message))
    shown = " ".join(s for s in report.strings() if "loans" in s or "overdue" in s or "bring" in s)
    assert ELLIPSIS not in shown and "please bring it back" in shown
    display.close()


@pytest.mark.parametrize("size", FULL_SIZE, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_every_target_takes_a_finger_and_every_text_reads(name: str, size: tuple[int, int]) -> None:
    _, report = render(SCREENS[name][0], size)
    assert report.buttons or not BUTTONS[name]
    assert_fingers_and_eyes(report)


def test_the_countdown_says_how_long_is_left_and_what_to_do() -> None:
    _, report = render(SCREENS["still-there"][0], (800, 480))
    drawn = " ".join(report.strings())
    assert " ".join(still_there(9).split()) in drawn


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_letters_are_evenly_spaced(size: tuple[int, int]) -> None:
    """SDL_ttf drew "staff" as "sta ff" at some sizes; FreeType keeps the gaps between the
    letters within a pixel or two of each other (their own side bearings differ that much)."""
    basis = size[1]
    for role in (theme.HUGE, theme.TITLE, theme.BODY, theme.SMALL):
        face = Face(round(basis * role))
        surface = pygame.Surface((face.size("staff")[0] + 4, face.linesize))
        face.draw(surface, "staff", theme.TEXT, surface.get_rect())
        inked = [
            any(surface.get_at((x, y))[0] > 60 for y in range(surface.get_height()))
            for x in range(surface.get_width())
        ]
        first, last = inked.index(True), len(inked) - inked[::-1].index(True)
        runs = [len(run) for run in "".join(".#"[i] for i in inked[first:last]).split("#") if run]
        slack = max(2, round(basis * role) // 25)
        assert max(runs) <= min(runs) + slack, f"gaps {runs} at {face.size('staff')}"


@pytest.fixture
def tokyo() -> Iterator[None]:
    """The machine set to another zone than the cage's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        yield
    time.tzset()


@pytest.mark.usefixtures("tokyo")
def test_times_are_the_cages_whatever_zone_the_machine_is_in() -> None:
    assert time.localtime(0).tm_hour == 9  # the process really is on Tokyo time
    at = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York
    due = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    policy = ReplicaPolicy(opening=OpeningSpec(tz="America/New_York", weekly={}))
    settings = Settings(kiosk_name="Media cage", policy=policy)
    idle = screen_for(State(), settings, at)
    _, report = render(idle, (800, 480))
    assert {"09:00", "Mon 23 Nov"} <= set(report.strings())
    cart = CartScreen("Ada", (replace(LINES[0], due=due),), tz=cage_zone(settings))
    _, report = render(cart, (800, 480))
    assert "Due Wed 25 Nov 17:00" in report.strings()
    display = Display()
    display.open(size=(800, 480), fullscreen=False, offscreen=True)
    try:
        assert "09:00" in display.show(idle).strings()
    finally:
        display.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_reservation_says_what_was_booked_and_until_when(size: tuple[int, int]) -> None:
    _, report = render(SCREENS["reservation"][0], size)
    shown = " ".join(report.strings())
    assert "Your reservation: Canon C70 kit, Aputure 300d light, until 11:00" in shown
    assert report.strings().count("To scan") == 2
    _, report = render(SCREENS["reservation-scanning"][0], size)
    assert "To scan" not in report.strings()  # what is in the cart is not asked for again
