"""Drawing screens on real pygame surfaces and touching them with real SDL events, and the
checks a layout must pass (inside the screen, no overlaps, targets a finger can hit)."""

from __future__ import annotations

import itertools

import pygame

from kiosk.drivers.display import Display
from kiosk.screens import Screen
from kiosk.ui import Renderer, RenderReport, theme


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
