"""The touch screen: pygame full screen, taps turned into actions on the buttons last drawn.

On a Raspberry Pi without a desktop SDL draws straight to the panel through KMS/DRM: the
systemd unit (deploy/systemd/cagekeeper-kiosk.service) sets ``SDL_VIDEODRIVER=kmsdrm`` and puts
the service user in the ``video``, ``render`` and ``input`` groups. Tests and headless runs set
``SDL_VIDEODRIVER=dummy``; the demo runs several simulated kiosks in one process, each drawing
``offscreen`` into its own surface and saving screenshots.

A touch arrives from SDL twice: as FINGERDOWN/FINGERUP and again as mouse button events that
pygame flags with ``event.touch`` (pygame >= 2.0.2). Fingers are handled as such and flagged
mouse events are ignored; a real mouse (a laptop running the demo) still works. As a second guard
for touch panels that show up as a plain mouse, the same button firing twice within
``DEBOUNCE_S`` (a keyboard key: ``KEY_DEBOUNCE_S``) counts once. A tap that lands on no button
is reported as "touch": the person is still there, which keeps their session from timing out.

Times on screen are in the zone each screen model carries (the cage's, from the hub's policy),
so the Pi's own zone setting never shows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Final

import pygame

from kiosk.errors import DriverError
from kiosk.screens import Screen
from kiosk.ui.render import Button, Renderer, RenderReport, UiAction, save_png
from kiosk.vocabulary import Action

WINDOW_SIZE: Final = (800, 480)  # the official 7" panel, for windowed runs without a size
DEBOUNCE_S: Final = 0.35
# a key on the on-screen keyboard is meant to be hit again and again ("0001"): only a copy
# arriving within this is the panel's duplicate
KEY_DEBOUNCE_S: Final = 0.1
_MOUSE: Final = ("mouse",)
_LEFT_BUTTON: Final = 1
TOUCH: Final = Action.TOUCH

_PressKey = tuple[object, ...]


class Display:
    """One pygame window (or the whole panel).

    ``show`` and ``poll_actions`` belong to one thread (the app's session thread); other threads
    may only post events.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        """``monotonic`` times the debounce."""
        self._monotonic = monotonic
        self._surface: pygame.Surface | None = None
        self._offscreen = False
        self._renderer: Renderer | None = None
        self.last_report: RenderReport | None = None
        # what each finger (or the mouse) went down on: a tap counts only if it ends there too
        self._pressed: dict[_PressKey, tuple[Action, str | None] | None] = {}
        self._last_fired: tuple[tuple[Action, str | None], float] | None = None

    @property
    def is_open(self) -> bool:
        return self._surface is not None

    @property
    def size(self) -> tuple[int, int]:
        return self._require_surface().get_size()

    def open(
        self, size: tuple[int, int] | None = None, fullscreen: bool = True, offscreen: bool = False
    ) -> None:
        """Take the screen; full screen without a size uses the panel's own mode.

        ``offscreen`` draws into memory only and never touches SDL's display or its (shared,
        process-wide) event queue, so several kiosks can live in one process.
        """
        if self._surface is not None:
            self.close()
        self._pressed.clear()
        self._last_fired = None
        self.last_report = None
        if offscreen:
            pygame.font.init()
            self._attach(pygame.Surface(size or WINDOW_SIZE), offscreen=True)
            return
        try:
            pygame.display.init()
            pygame.font.init()
            if fullscreen:
                surface = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
            else:
                surface = pygame.display.set_mode(size or WINDOW_SIZE)
        except pygame.error as exc:
            pygame.display.quit()
            driver = os.environ.get("SDL_VIDEODRIVER", "SDL's default")
            raise DriverError(
                f"cannot open the display with video driver {driver}: {exc}"
                " (on a Pi without a desktop set SDL_VIDEODRIVER=kmsdrm)"
            ) from exc
        pygame.mouse.set_visible(not fullscreen)  # no pointer floating over a touch kiosk
        pygame.display.set_caption("Cagekeeper")
        pygame.event.clear()
        self._attach(surface, offscreen=False)

    def show(self, screen: Screen) -> RenderReport:
        """Draw ``screen`` and put it on the panel; later taps are matched against it."""
        if self._renderer is None:
            raise DriverError("the display is not open")
        report = self._renderer.render(screen)
        if not self._offscreen:
            try:
                pygame.display.flip()
            except pygame.error as exc:
                raise DriverError(f"cannot update the display: {exc}") from exc
        self.last_report = report
        return report

    def poll_actions(self) -> list[UiAction]:
        """Drain pygame's queue (it must be pumped regularly) and return the taps it held."""
        if self._surface is None or self._offscreen:
            return []
        actions: list[UiAction] = []
        for event in pygame.event.get():
            action = self._action_for(event)
            if action is not None:
                actions.append(action)
        return actions

    def screenshot(self, path: str | os.PathLike[str]) -> None:
        """Save what the panel shows now as a PNG (the demo and support use this)."""
        save_png(self._require_surface(), path)

    def close(self) -> None:
        if self._surface is None:
            return
        if not self._offscreen:
            pygame.display.quit()
        self._surface = None
        self._renderer = None
        self.last_report = None

    # internals -----------------------------------------------------------------------------

    def _attach(self, surface: pygame.Surface, *, offscreen: bool) -> None:
        self._surface = surface
        self._offscreen = offscreen
        self._renderer = Renderer(surface)

    def _require_surface(self) -> pygame.Surface:
        if self._surface is None:
            raise DriverError("the display is not open")
        return self._surface

    def _action_for(self, event: pygame.event.Event) -> UiAction | None:
        if event.type == pygame.QUIT:
            return UiAction(Action.QUIT)
        if event.type in (pygame.FINGERDOWN, pygame.FINGERUP):
            key: _PressKey = ("finger", event.touch_id, event.finger_id)
            pos = self._finger_pos(event.x, event.y)
            if event.type == pygame.FINGERDOWN:
                self._pressed[key] = self._target(pos)
                return None
            return self._release(key, pos)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            if getattr(event, "touch", False) or getattr(event, "button", 0) != _LEFT_BUTTON:
                return None  # SDL's copy of a finger we already handle, or a wheel/right click
            pos = (int(event.pos[0]), int(event.pos[1]))
            if event.type == pygame.MOUSEBUTTONDOWN:
                self._pressed[_MOUSE] = self._target(pos)
                return None
            return self._release(_MOUSE, pos)
        return None

    def _finger_pos(self, x: float, y: float) -> tuple[int, int]:
        """SDL reports fingers in 0..1 of the panel; buttons are in pixels."""
        width, height = self._require_surface().get_size()
        return (min(width - 1, max(0, int(x * width))), min(height - 1, max(0, int(y * height))))

    def _target(self, pos: tuple[int, int]) -> tuple[Action, str | None] | None:
        button: Button | None = self.last_report.hit(pos) if self.last_report else None
        return None if button is None else (button.action, button.code)

    def _release(self, key: _PressKey, pos: tuple[int, int]) -> UiAction | None:
        target = self._target(pos)
        missing = object()
        pressed = self._pressed.pop(key, missing)
        if target is None and pressed in (None, missing):
            return UiAction(TOUCH)  # a touch between buttons: only "still here"
        if target is None or (pressed is not missing and pressed != target):
            return None  # slid off a button, or from one button onto another
        now = self._monotonic()
        if self._last_fired is not None:
            last, when = self._last_fired
            window = KEY_DEBOUNCE_S if target[0] == Action.KEY else DEBOUNCE_S
            if last == target and now - when < window:
                return None
        self._last_fired = (target, now)
        return UiAction(*target)
