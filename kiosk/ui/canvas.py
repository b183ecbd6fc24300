"""The drawing primitives the kiosk's screens are made of, and the report of what was drawn.

The report (every string with its rectangle and size, every touch target) is what the display
uses to turn a tap into an action, and what tests use to check that nothing is clipped,
overlapping, too small to read or too close to hit without having to read pixels.

Text goes through FreeType directly (``pygame.freetype``), not SDL_ttf (``pygame.font``): the
SDL_ttf in current pygame wheels spaces letters unevenly at these sizes ("sta ff"), while
FreeType places each glyph on its own advance, the same on a Pi's pygame as on a laptop's.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygame
import pygame.freetype

from kiosk.ui import theme
from kiosk.ui.text import clean, fit, wrap
from kiosk.ui.theme import Colour
from kiosk.vocabulary import Action

OFFLINE_LABEL = "OFFLINE"


@dataclass(frozen=True)
class Button:
    """A touch target as drawn; ``code`` names the cart line (or key) it belongs to."""

    action: Action
    code: str | None
    rect: pygame.Rect


@dataclass(frozen=True)
class UiAction:
    """What a tap meant, for the app: a ``Button.action``, or TOUCH (the screen was touched off
    every button: the person is still there) or QUIT."""

    action: Action
    code: str | None = None


@dataclass
class RenderReport:
    """Everything one frame drew, in drawing order."""

    texts: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    caps: list[int] = field(default_factory=list)  # each text's capital height in px

    def hit(self, pos: tuple[int, int]) -> Button | None:
        """The button under ``pos``; buttons never overlap, so there is at most one."""
        for button in self.buttons:
            if button.rect.collidepoint(pos):
                return button
        return None

    def button(self, action: str, code: str | None = None) -> Button | None:
        """Find a drawn button by what it does (tests and scripted taps use this)."""
        for button in self.buttons:
            if button.action == action and (code is None or button.code == code):
                return button
        return None

    def strings(self) -> list[str]:
        return [text for text, _ in self.texts]


class Face:
    """One font at one pixel size, measured and drawn by FreeType from its baseline."""

    def __init__(self, px: int) -> None:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self._ft = pygame.freetype.Font(None, px)
        self._ft.origin = True  # render_to's position is the pen's start on the baseline
        self.ascent = self._ft.get_sized_ascender(px)
        self.descent = -self._ft.get_sized_descender(px)
        self.linesize = max(self._ft.get_sized_height(px), self.ascent + self.descent)
        self.cap = self._ft.get_rect("H").height

    def size(self, text: str, /) -> tuple[int, int]:
        if not text:
            return (0, self.ascent + self.descent)
        ink = self._ft.get_rect(text)
        return (max(0, ink.x) + ink.width, self.ascent + self.descent)

    def draw(self, surface: pygame.Surface, text: str, colour: Colour, rect: pygame.Rect) -> None:
        self._ft.render_to(surface, (rect.left, rect.top + self.ascent), text, colour)


class Canvas:
    """Sizes and primitives on one surface; every size is a fraction of the surface height,
    read at each render, and every text and button drawn is noted in ``_report``."""

    def __init__(self, surface: pygame.Surface) -> None:
        self.surface = surface
        self._faces: dict[int, Face] = {}
        self._report = RenderReport()
        self._w, self._h = surface.get_size()

    # sizes ---------------------------------------------------------------------------------

    def _px(self, fraction: float) -> int:
        """A size as a fraction of the screen height (of a narrower basis on a portrait or
        4:3 screen, so the headline still fits across)."""
        return round(min(self._h, self._w * theme.MAX_BASIS_PER_WIDTH) * fraction)

    @property
    def _m(self) -> int:
        return max(6, self._px(theme.MARGIN))

    @property
    def _gap(self) -> int:
        """Space between two touch targets."""
        return max(theme.MIN_GAP_PX, self._m)

    def _touch(self, fraction: float) -> int:
        return max(theme.MIN_TOUCH_PX, self._px(fraction))

    @property
    def _finger(self) -> int:
        """The side of a small touch target (a line's buttons): never under a fingertip, and
        growing with the screen like everything else."""
        return self._touch(theme.FINGER)

    def _font(self, role: float) -> Face:
        size = max(theme.MIN_FONT_PX, self._px(role))
        face = self._faces.get(size)
        if face is None:
            face = self._faces[size] = Face(size)
        return face

    def _line_height(self, role: float) -> int:
        return self._font(role).linesize

    # primitives ----------------------------------------------------------------------------

    def _text(
        self,
        text: str,
        role: float,
        colour: Colour,
        at: tuple[int, int],
        anchor: str = "topleft",
        max_width: int | None = None,
    ) -> pygame.Rect:
        """Draw one line, cut with an ellipsis to ``max_width`` (never wider than the screen)."""
        face = self._font(role)
        limit = self._w - 2 * self._m if max_width is None else min(max_width, self._w)
        shown = fit(clean(text), face, max(1, limit))
        if not shown:
            return pygame.Rect(at, (0, 0))
        rect = pygame.Rect((0, 0), face.size(shown))
        setattr(rect, anchor, at)
        rect.clamp_ip(self.surface.get_rect())  # last resort; the layout already keeps it inside
        face.draw(self.surface, shown, colour, rect)
        self._report.texts.append((shown, rect))
        self._report.caps.append(face.cap)
        return rect

    def _paragraph(
        self,
        text: str,
        role: float,
        colour: Colour,
        *,
        centre_x: int,
        top: int,
        max_width: int,
        max_lines: int,
    ) -> int:
        """Draw ``text`` wrapped and centred; returns the bottom of the last line."""
        height = self._line_height(role)
        lines = wrap(clean(text), self._font(role), max_width, max_lines)
        for i, line in enumerate(lines):
            self._text(line, role, colour, (centre_x, top + i * height), "midtop", max_width)
        return top + len(lines) * height

    def _paragraph_height(self, text: str, role: float, max_width: int, max_lines: int) -> int:
        lines = wrap(clean(text), self._font(role), max_width, max_lines)
        return len(lines) * self._line_height(role)

    def _pill(self, label: str, role: float, fill: Colour, ink: Colour, rect: pygame.Rect) -> None:
        pygame.draw.rect(self.surface, fill, rect, border_radius=max(3, rect.height // 4))
        pad = max(2, rect.height // 6)
        self._text(label, role, ink, rect.center, "center", rect.width - 2 * pad)

    def _button(
        self,
        label: str,
        action: Action,
        rect: pygame.Rect,
        fill: Colour,
        *,
        role: float,
        outline: Colour | None = None,
        code: str | None = None,
        ink: Colour = theme.TEXT,
    ) -> pygame.Rect:
        radius = max(4, rect.height // 5)
        pygame.draw.rect(self.surface, fill, rect, border_radius=radius)
        if outline is not None:
            pygame.draw.rect(
                self.surface, outline, rect, width=max(2, self._px(1 / 240)), border_radius=radius
            )
        pad = max(4, self._m // 2)
        self._text(label, role, ink, rect.center, "center", rect.width - 2 * pad)
        self._report.buttons.append(Button(action, code, rect.copy()))
        return rect

    def _button_width(self, label: str, role: float) -> int:
        """Wide enough for ``label`` with a finger's margin, and never narrower than a finger."""
        return max(self._finger, self._font(role).size(label)[0] + 2 * self._m)

    def _offline_pill(self, right: int, centre_y: int) -> pygame.Rect:
        face = self._font(theme.SMALL)
        pad = self._m // 2
        width, _ = face.size(OFFLINE_LABEL)
        rect = pygame.Rect(0, 0, width + 4 * pad, face.linesize + pad)
        rect.midright = (right, centre_y)
        self._pill(OFFLINE_LABEL, theme.SMALL, theme.WARN, theme.DARK_TEXT, rect)
        return rect

    # shared pieces -------------------------------------------------------------------------

    def _top_bar(
        self,
        title: str,
        offline: bool,
        right: Sequence[tuple[str, float, Colour]] = (),
        tools: Sequence[tuple[str, Action]] = (),
    ) -> int:
        """Title on the left; ``tools`` (label, action) as buttons and ``right`` texts
        right-aligned, outermost first. Returns the bottom."""
        bar = pygame.Rect(0, 0, self._w, self._px(theme.TOP_BAR))
        if tools:
            bar.height = max(bar.height, self._finger + self._m)
        pygame.draw.rect(self.surface, theme.PANEL, bar)
        m = self._m
        x = self._w - m
        for label, action in reversed(tools):
            rect = pygame.Rect(0, 0, self._button_width(label, theme.SMALL), self._finger)
            rect.midright = (x, bar.centery)
            self._button(label, action, rect, theme.RETURN_FILL, role=theme.SMALL)
            x = rect.left - self._gap
        for text, role, colour in right:
            x = self._text(text, role, colour, (x, bar.centery), "midright").left - m
        if offline:
            x = self._offline_pill(x, bar.centery).left - m
        self._text(title, theme.TITLE, theme.TEXT, (m, bar.centery), "midleft", x - m)
        return bar.bottom

    def _band(self, message: str, ink: Colour, stripe: Colour, bottom: int, lines: int = 2) -> int:
        """A panel above ``bottom`` with up to ``lines`` wrapped lines; returns its top."""
        m = self._m
        pad = m // 2 + 2
        stripe_w = max(4, m // 2)
        rect = pygame.Rect(m, 0, self._w - 2 * m, 0)
        width = rect.width - stripe_w - 3 * pad
        wrapped = wrap(clean(message), self._font(theme.BODY), width, lines)
        height = self._line_height(theme.BODY)
        rect.height = len(wrapped) * height + 2 * pad
        rect.bottom = bottom
        pygame.draw.rect(self.surface, theme.PANEL, rect, border_radius=pad)
        pygame.draw.rect(
            self.surface,
            stripe,
            (rect.left, rect.top, stripe_w, rect.height),
            border_top_left_radius=pad,
            border_bottom_left_radius=pad,
        )
        for i, line in enumerate(wrapped):
            self._text(
                line,
                theme.BODY,
                ink,
                (rect.left + stripe_w + 2 * pad, rect.top + pad + i * height),
                "topleft",
                width,
            )
        return rect.top

    def _footer(
        self, specs: Sequence[tuple[str, Action, Colour, Colour | None, int]], span: float = 1.0
    ) -> int:
        """Big buttons along the bottom: (label, action, fill, outline, weight). Returns the top."""
        m, gap = self._m, self._gap
        height = self._touch(theme.FOOTER)
        top = self._h - m - height
        total = round((self._w - 2 * m) * span)
        left = x = (self._w - total) // 2
        free = total - gap * (len(specs) - 1)
        weights = sum(spec[4] for spec in specs)
        role = theme.TITLE if len(specs) < 4 else theme.BODY  # four fit only smaller
        for i, (label, action, fill, outline, weight) in enumerate(specs):
            last = i == len(specs) - 1
            width = left + total - x if last else free * weight // weights
            rect = pygame.Rect(x, top, width, height)
            self._button(label, action, rect, fill, role=role, outline=outline)
            x += width + gap
        return top

    def _staff_line(self, note: str | None, bottom: int) -> int:
        """A quiet line for staff (muted, not red: students need not worry about it)."""
        if not note:
            return bottom
        return (
            self._text(note, theme.SMALL, theme.MUTED, (self._w // 2, bottom), "midbottom").top
            - self._m
        )


def save_png(surface: pygame.Surface, path: str | os.PathLike[str]) -> None:
    """Write ``surface`` as a PNG, atomically: a viewer polling the file never reads half."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".png", dir=target.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; a screenshot is for others to view
        with os.fdopen(fd, "wb") as f:
            pygame.image.save(surface, f, "png")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
