"""The display driver on real pygame frames: taps are real pygame events posted to the queue,
the way SDL delivers them from a touch panel."""

from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

from kiosk.drivers.display import DEBOUNCE_S, Display
from kiosk.errors import DriverError
from kiosk.ui import UiAction, save_png
from kiosk.vocabulary import Action
from tests.ui_frames import assert_laid_out, centre_of, finger, mouse, render
from tests.ui_screens import SCREENS, SIZES


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
