"""Every screen drawn by pygame at the official 7-inch size and at 720p: what is on it, inside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest

from kiosk.drivers.display import Display
from kiosk.screens import (
    CartLine,
    CartScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    ReceiptScreen,
    Screen,
)
from kiosk.ui.render import UiAction

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LINES = (
    CartLine("CAM-0001", "Canon C70 cinema camera", LineAction.CHECKOUT,
             due=NOW + timedelta(hours=48)),
    CartLine("LENS-0001", "Zeiss CP.3 50mm", LineAction.RETURN),
    CartLine("CAM-0002", "Sony FX3", LineAction.REFUSED, "Checked out to someone else"),
)
SCREENS: dict[str, tuple[Screen, list[str]]] = {
    "idle": (IdleScreen("Film cage", NOW), ["Film cage", "Tap your badge", "09:30"]),
    "idle-offline": (IdleScreen("Film cage", NOW, offline=True), ["OFFLINE"]),
    "cart": (CartScreen("Ada Lovelace", LINES, "That code is not an equipment label"),
             ["Hello, Ada Lovelace", "Confirm", "Cancel", "Zeiss CP.3 50mm", "RETURN",
              "Due Wed 04 Mar 09:30", "That code is not an equipment label"]),
    "receipt": (ReceiptScreen("Ada Lovelace", LINES[:2]), ["All done, Ada Lovelace", "Done"]),
    "denied": (DeniedScreen("Badge not recognised", "Please ask staff to register your badge."),
               ["Badge not recognised", "Please ask staff to register your badge."]),
}


@pytest.fixture(params=[(800, 480), (1280, 720)], ids=["800x480", "1280x720"])
def display(request: pytest.FixtureRequest) -> Iterator[Display]:
    d = Display()
    d.open(size=request.param, fullscreen=False)
    yield d
    d.close()


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_shows_its_texts_inside_the_screen(display: Display, name: str) -> None:
    screen, expected = SCREENS[name]
    report = display.show(screen)
    drawn = report.text()
    for text in expected:
        assert text in drawn, f"{text!r} missing on {name}"
    width, height = display.size
    bounds = pygame.Rect(0, 0, width, height)
    assert all(bounds.contains(rect) for _, rect in report.texts)
    for i, a in enumerate(report.buttons):
        assert bounds.contains(a.rect)
        assert not any(a.rect.colliderect(b.rect) for b in report.buttons[i + 1:])
    surface = pygame.display.get_surface()
    assert surface is not None
    colours = {surface.get_at((x, y))[:3] for x in range(0, width, 37) for y in range(0, height, 29)}
    assert len(colours) > 2, "the screen is blank"


def test_long_names_stay_on_screen(display: Display) -> None:
    long = CartLine("CAM-9", "A very long equipment name " * 6, LineAction.CHECKOUT,
                    due=NOW + timedelta(hours=1))
    report = display.show(CartScreen("Maximiliane Theodora Wolfeschlegelsteinhausen " * 2,
                                     (long,) * 12))
    width, height = display.size
    assert all(pygame.Rect(0, 0, width, height).contains(r) for _, r in report.texts)
    assert any("more" in t for t, _ in report.texts)


def test_taps_become_actions_once(display: Display) -> None:
    report = display.show(SCREENS["cart"][0])
    confirm = next(b for b in report.buttons if b.action == "confirm")
    remove = next(b for b in report.buttons if b.action == "remove" and b.code == "LENS-0001")
    width, height = display.size
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=confirm.rect.center,
                                         touch=False))
    x, y = remove.rect.center
    pygame.event.post(pygame.event.Event(pygame.FINGERUP, x=x / width, y=y / height,
                                         touch_id=1, finger_id=1))
    # SDL also reports a touch as a mouse click marked as coming from touch: counted once
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(x, y), touch=True))
    assert display.poll_actions() == [UiAction("confirm"), UiAction("remove", "LENS-0001")]


def test_screenshots_are_written(display: Display, tmp_path: Path) -> None:
    display.show(SCREENS["receipt"][0])
    path = tmp_path / "receipt.png"
    display.screenshot(path)
    assert pygame.image.load(str(path)).get_size() == display.size
