"""The door PIN pad on real pygame frames (SDL's dummy video driver): keys a finger can hit,
the PIN shown only as dots, and real taps turned into the session's inputs."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from kiosk.drivers.display import Display
from kiosk.screens import PinScreen
from kiosk.session import BadgeTapped, PinKey, State, step, ui_input
from kiosk.ui import UiAction, theme
from kiosk.ui.pinpad import KEY_LABELS, PIN_EMPTY, PIN_PROMPT, PIN_TITLE
from kiosk.vocabulary import Action
from tests.session_steps import T0
from tests.ui_frames import assert_fingers_and_eyes, assert_laid_out, colours_in, finger, render
from tests.ui_screens import FULL_SIZE
from tests.unit.test_door_pin import SAM, SAM_BADGE, STATION

PAD_KEYS = {("key", d) for d in "0123456789"} | {("key", "backspace"), ("enter", None)}
SIZES = [*FULL_SIZE, (640, 480), (1024, 768), (480, 800), (720, 1280)]


@pytest.fixture(autouse=True, scope="module")
def sdl_dummy() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SDL_VIDEODRIVER", "dummy")
        mp.setenv("SDL_AUDIODRIVER", "dummy")
        pygame.display.quit()
        yield
        pygame.display.quit()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_pad_fits_and_every_key_takes_a_finger(size: tuple[int, int]) -> None:
    screen = PinScreen("Samantha Okafor-Lindqvist", 3, "Wrong PIN: 4 tries left", countdown=9)
    surface, report = render(screen, size)
    assert_laid_out(surface, report)
    if size in FULL_SIZE:  # the panels held to fingers and arm's length (as in test_ui)
        assert_fingers_and_eyes(report)
    assert {(b.action, b.code) for b in report.buttons} == PAD_KEYS | {("cancel", None)}
    drawn = report.strings()
    for text in (PIN_TITLE, PIN_PROMPT, "Wrong PIN: 4 tries left", "Cancel", "Still there? 9 s"):
        assert text in drawn
    assert {KEY_LABELS["enter"], KEY_LABELS["backspace"], *"0123456789"} <= set(drawn)
    # a digit key is bigger than the smallest touch target, for a gloved finger at a door
    one = report.button("key", "1")
    assert one is not None and min(one.rect.size) >= 1.5 * theme.MIN_TOUCH_PX


def test_the_pin_shows_as_dots_never_as_digits() -> None:
    _, empty = render(PinScreen("Sam Staff", 0), (800, 480))
    assert PIN_EMPTY in empty.strings()
    counts = []
    for entered in (1, 4, 8):
        surface, report = render(PinScreen("Sam Staff", entered), (800, 480))
        assert PIN_EMPTY not in report.strings()
        # the only digits drawn are the keys' own labels
        assert [t for t in report.strings() if t.isdigit()] == list("1234567890")
        prompt = next(r for t, r in report.texts if t == PIN_PROMPT)
        cancel = report.button("cancel")
        assert cancel is not None
        field = pygame.Rect(
            prompt.left, prompt.bottom, cancel.rect.width, cancel.rect.top - prompt.bottom
        )
        ink = sum(
            1
            for x in range(field.left, field.right)
            for y in range(field.top, field.bottom)
            if tuple(surface.get_at((x, y)))[:3] == theme.TEXT
        )
        counts.append(ink)
    assert 0 < counts[0] < counts[1] < counts[2]  # one dot per digit, all eight room
    assert counts[2] == pytest.approx(8 * counts[0], rel=0.1)


def test_the_unlock_key_is_green_and_delete_is_not() -> None:
    surface, report = render(PinScreen("Sam Staff", 4), (800, 480))
    unlock, delete = report.button("enter"), report.button("key", "backspace")
    assert unlock is not None and delete is not None
    assert theme.CONFIRM_FILL in colours_in(surface, unlock.rect)
    assert theme.CONFIRM_FILL not in colours_in(surface, delete.rect)


def test_taps_on_the_pad_type_the_pin() -> None:
    """Real finger events on the drawn keys, through the display driver, into the session:
    the same digit twice in a row counts twice (keys are debounced as keys)."""
    now = [100.0]
    display = Display(monotonic=lambda: now[0])
    display.open(size=(800, 480), fullscreen=False)
    try:
        state, _ = step(State(), BadgeTapped(SAM_BADGE, SAM), T0, STATION)
        display.show(PinScreen("Sam Staff"))
        actions: list[UiAction] = []
        for digit in "2446":
            button = display.last_report.button("key", digit) if display.last_report else None
            assert button is not None
            finger(pygame.FINGERDOWN, button.rect.center, display.size)
            finger(pygame.FINGERUP, button.rect.center, display.size)
            actions += display.poll_actions()
            now[0] += 0.15  # a quick typist, slower than a panel's duplicate
        assert actions == [UiAction(Action.KEY, d) for d in "2446"]
        for action in actions:
            inp = ui_input(action.action, action.code)
            assert inp is not None
            state, _ = step(state, inp, T0, STATION)
        assert state.pin is not None and state.pin.typed == "2446"
        assert PinKey("1") != ui_input("key", "1")  # the keyboard's key, routed by the session
    finally:
        display.close()
