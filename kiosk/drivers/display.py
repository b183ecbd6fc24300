"""The touch screen: pygame fullscreen on KMS/DRM (no desktop needed), touch and mouse input.

On a Pi the systemd unit sets SDL_VIDEODRIVER=kmsdrm; tests and headless runs use ``dummy``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pygame

from kiosk.errors import DriverError
from kiosk.screens import Screen
from kiosk.ui.render import Renderer, RenderReport, UiAction

log = logging.getLogger(__name__)


class Display:
    def __init__(self) -> None:
        self._surface: pygame.Surface | None = None
        self._renderer: Renderer | None = None
        self._offscreen = False
        self.last_report: RenderReport | None = None

    @property
    def size(self) -> tuple[int, int]:
        if self._surface is None:
            raise DriverError("the display is not open")
        return self._surface.get_size()

    def open(self, size: tuple[int, int] | None = None, fullscreen: bool = True,
             offscreen: bool = False) -> None:
        """Open the screen; ``offscreen`` draws into memory only (several simulated kiosks in
        one process, each saving screenshots)."""
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        if offscreen:
            pygame.font.init()
            self._offscreen = True
            self._surface = pygame.Surface(size or (800, 480))
            self._renderer = Renderer(self._surface)
            return
        try:
            pygame.display.init()
            pygame.font.init()
            if fullscreen:
                surface = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
                pygame.mouse.set_visible(False)
            else:
                surface = pygame.display.set_mode(size or (800, 480))
            pygame.display.set_caption("Cagekeeper")
        except pygame.error as exc:
            raise DriverError(f"cannot open the display ({exc}); on a Pi without a desktop set "
                              "SDL_VIDEODRIVER=kmsdrm") from exc
        self._surface = surface
        self._renderer = Renderer(surface)
        pygame.event.set_allowed([pygame.QUIT, pygame.FINGERUP, pygame.MOUSEBUTTONUP])

    def show(self, screen: Screen) -> RenderReport:
        if self._renderer is None:
            raise DriverError("the display is not open")
        report = self._renderer.render(screen)
        if not self._offscreen:
            pygame.display.flip()
        self.last_report = report
        return report

    def poll_actions(self) -> list[UiAction]:
        """Taps since the last call, as actions; a touch that SDL also reports as a mouse click
        counts once."""
        if self._surface is None or self._offscreen:
            return []
        actions: list[UiAction] = []
        width, height = self._surface.get_size()
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                actions.append(UiAction("quit"))
                continue
            if event.type == pygame.FINGERUP:
                pos = (int(event.x * width), int(event.y * height))
            elif event.type == pygame.MOUSEBUTTONUP and event.button == 1 and not getattr(
                event, "touch", False
            ):
                pos = event.pos
            else:
                continue
            button = self.last_report.hit(pos) if self.last_report else None
            if button is not None:
                actions.append(UiAction(button.action, button.code))
        return actions

    def screenshot(self, path: Path | str) -> None:
        if self._surface is not None:
            pygame.image.save(self._surface, str(path))

    def close(self) -> None:
        if self._surface is not None:
            if not self._offscreen:
                pygame.display.quit()
            self._surface = None
            self._renderer = None
