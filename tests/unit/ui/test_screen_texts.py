"""What particular screens say and offer, drawn on real pygame frames: loans, return conditions,
extensions, staff tools, warnings, the countdown, the cage's time zone, reservations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pygame
import pytest

from kiosk.drivers.display import Display
from kiosk.screens import CartLine, CartScreen, HeldItem, LineAction
from kiosk.session import Settings, State, cage_zone, screen_for
from kiosk.ui import theme
from kiosk.ui.render import still_there
from kiosk.ui.text import ELLIPSIS
from tests.ui_frames import render
from tests.ui_screens import CHOICES, FULL_SIZE, LINES, SCREENS, SIZES
from wire import ReplicaPolicy
from wire.messages import OpeningSpec


@pytest.mark.parametrize("size", [(800, 480), (1280, 720)])
def test_welcome_shows_loans_inside_the_screen(size: tuple[int, int]) -> None:
    display = Display()
    display.open(size=size, fullscreen=False, offscreen=True)
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    loans = (
        HeldItem("AUD-1", "Zoom F6 field recorder", start, overdue=True),
        HeldItem("TRI-1", "Sachtler tripod", start + timedelta(days=1)),
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
    loans = (HeldItem("CAM-1", "Camera", due, extendable=True), HeldItem("LENS-1", "Lens", due))
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


def test_the_countdown_says_how_long_is_left_and_what_to_do() -> None:
    _, report = render(SCREENS["still-there"][0], (800, 480))
    drawn = " ".join(report.strings())
    assert " ".join(still_there(9).split()) in drawn


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
