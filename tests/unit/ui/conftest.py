"""Headless SDL for each module of the UI tests, and an open display to tap on."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from kiosk.drivers.display import Display


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
