"""Draws a screen model onto a pygame surface and reports what it drew.

The report (every text with its rectangle, every button) lets the display map a touch to an
action and lets tests check that nothing is clipped, without reading pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pygame

from kiosk.screens import (
    CartLine,
    CartScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    ReceiptScreen,
    Screen,
)
from kiosk.ui import theme
from kiosk.ui.theme import Colour


@dataclass(frozen=True)
class Button:
    action: str  # confirm | cancel | remove | done
    code: str | None
    rect: pygame.Rect


@dataclass(frozen=True)
class UiAction:
    """What a touch meant: the display turns taps into these for the app."""

    action: str
    code: str | None = None


@dataclass
class RenderReport:
    texts: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    def hit(self, pos: tuple[int, int]) -> Button | None:
        for button in self.buttons:
            if button.rect.collidepoint(pos):
                return button
        return None

    def text(self) -> str:
        return " | ".join(t for t, _ in self.texts)


_ACTION_LABEL = {LineAction.CHECKOUT: "OUT", LineAction.RETURN: "RETURN",
                 LineAction.REFUSED: "NO"}
_ACTION_COLOUR = {LineAction.CHECKOUT: theme.OK, LineAction.RETURN: theme.RETURN,
                  LineAction.REFUSED: theme.DANGER}


def format_due(when: datetime) -> str:
    """Due times in the kiosk's local time zone, the way a student reads them."""
    return when.astimezone().strftime("Due %a %d %b %H:%M")


class Renderer:
    def __init__(self, surface: pygame.Surface) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.surface = surface
        self.width, self.height = surface.get_size()
        self._fonts: dict[int, pygame.font.Font] = {}
        self._report = RenderReport()

    # primitives ----------------------------------------------------------------------------

    def _font(self, fraction: float) -> pygame.font.Font:
        size = max(12, int(self.height * fraction))
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size]

    @property
    def margin(self) -> int:
        return max(8, int(self.height * theme.MARGIN))

    def _fit(self, text: str, font: pygame.font.Font, width: int) -> str:
        if font.size(text)[0] <= width:
            return text
        while text and font.size(text + "…")[0] > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def _text(self, text: str, fraction: float, colour: Colour, *, x: int, y: int,
              max_width: int | None = None, anchor: str = "topleft") -> pygame.Rect:
        font = self._font(fraction)
        limit = max_width if max_width is not None else self.width - 2 * self.margin
        shown = self._fit(text, font, max(limit, 10))
        image = font.render(shown, True, colour)
        rect = image.get_rect(**{anchor: (x, y)})
        rect.clamp_ip(self.surface.get_rect())
        self.surface.blit(image, rect)
        self._report.texts.append((shown, rect))
        return rect

    def _button(self, label: str, action: str, rect: pygame.Rect, colour: Colour,
                code: str | None = None) -> None:
        pygame.draw.rect(self.surface, colour, rect, border_radius=max(4, rect.height // 5))
        self._text(label, theme.BODY, theme.BUTTON_TEXT, x=rect.centerx, y=rect.centery,
                   max_width=rect.width - 8, anchor="center")
        self._report.buttons.append(Button(action, code, rect))

    def _top_bar(self, left: str, right: str | None, offline: bool) -> int:
        bar = pygame.Rect(0, 0, self.width, int(self.height * 0.13))
        pygame.draw.rect(self.surface, theme.PANEL, bar)
        m = self.margin
        right_width = 0
        if offline:
            r = self._text("OFFLINE", theme.SMALL, theme.WARN, x=self.width - m, y=bar.centery,
                           anchor="midright")
            right_width = r.width + m
        elif right:
            r = self._text(right, theme.BODY, theme.MUTED, x=self.width - m, y=bar.centery,
                           anchor="midright")
            right_width = r.width + m
        self._text(left, theme.BODY, theme.TEXT, x=m, y=bar.centery, anchor="midleft",
                   max_width=self.width - 3 * m - right_width)
        return bar.bottom

    # screens -------------------------------------------------------------------------------

    def render(self, screen: Screen) -> RenderReport:
        self._report = RenderReport()
        self.surface.fill(theme.BACKGROUND)
        if isinstance(screen, IdleScreen):
            self._idle(screen)
        elif isinstance(screen, CartScreen):
            self._cart(screen)
        elif isinstance(screen, ReceiptScreen):
            self._receipt(screen)
        else:
            self._denied(screen)
        return self._report

    def _idle(self, s: IdleScreen) -> None:
        clock = s.now.astimezone().strftime("%H:%M")
        top = self._top_bar(s.kiosk_name, clock, s.offline)
        middle = top + (self.height - top) // 2
        self._text("Tap your badge", theme.HUGE, theme.TEXT, x=self.width // 2,
                   y=middle - int(self.height * 0.06), anchor="center")
        self._text("then show each item's label to the camera", theme.BODY, theme.MUTED,
                   x=self.width // 2, y=middle + int(self.height * 0.06), anchor="center")
        if s.message:
            self._text(s.message, theme.TITLE, theme.WARN, x=self.width // 2,
                       y=self.height - self.margin * 2, anchor="midbottom")
        if s.offline:
            self._text("Working offline: your loans are saved and sent later", theme.SMALL,
                       theme.WARN, x=self.width // 2, y=self.height - self.margin,
                       anchor="midbottom")

    def _lines(self, lines: tuple[CartLine, ...], top: int, bottom: int,
               removable: bool) -> None:
        m = self.margin
        row_h = max(int(self.height * 0.11), 28)
        capacity = max(1, (bottom - top) // row_h)
        shown = lines[-capacity:] if len(lines) > capacity else lines
        if len(lines) > capacity:
            shown = lines[-(capacity - 1):] if capacity > 1 else ()
            self._text(f"+{len(lines) - len(shown)} more", theme.SMALL, theme.MUTED, x=m, y=top)
            top += row_h
        tag_w = int(self.width * 0.14)
        remove_w = int(self.width * 0.14) if removable else 0
        for i, line in enumerate(shown):
            y = top + i * row_h
            row = pygame.Rect(m, y, self.width - 2 * m, row_h - 6)
            pygame.draw.rect(self.surface, theme.PANEL, row, border_radius=6)
            tag = pygame.Rect(row.left + 6, row.top + 6, tag_w, row.height - 12)
            pygame.draw.rect(self.surface, _ACTION_COLOUR[line.action], tag, border_radius=4)
            self._text(_ACTION_LABEL[line.action], theme.SMALL, theme.BUTTON_TEXT,
                       x=tag.centerx, y=tag.centery, max_width=tag.width - 4, anchor="center")
            text_x = tag.right + m // 2
            text_w = row.right - text_x - remove_w - m
            detail = line.reason if line.action is LineAction.REFUSED else (
                format_due(line.due) if line.due else "")
            share = 0.45 if line.action is LineAction.REFUSED else 0.58
            name_w = int(text_w * share) if detail else text_w
            self._text(line.name, theme.BODY, theme.TEXT, x=text_x, y=row.centery,
                       max_width=name_w, anchor="midleft")
            if detail:
                colour = theme.WARN if line.action is LineAction.REFUSED else theme.MUTED
                self._text(detail, theme.SMALL, colour, x=text_x + name_w + m // 2,
                           y=row.centery, max_width=text_w - name_w - m // 2, anchor="midleft")
            if removable:
                rect = pygame.Rect(row.right - remove_w - 6, row.top + 6, remove_w,
                                   row.height - 12)
                pygame.draw.rect(self.surface, theme.BACKGROUND, rect, border_radius=4)
                self._text("Remove", theme.SMALL, theme.MUTED, x=rect.centerx, y=rect.centery,
                           max_width=rect.width - 4, anchor="center")
                self._report.buttons.append(Button("remove", line.code, rect))

    def _footer_buttons(self, *buttons: tuple[str, str, Colour]) -> int:
        m = self.margin
        h = max(int(self.height * 0.15), 36)
        top = self.height - m - h
        width = (self.width - m * (len(buttons) + 1)) // len(buttons)
        for i, (label, action, colour) in enumerate(buttons):
            rect = pygame.Rect(m + i * (width + m), top, width, h)
            self._button(label, action, rect, colour)
        return top

    def _cart(self, s: CartScreen) -> None:
        top = self._top_bar(f"Hello, {s.person_name}", None, s.offline)
        footer = self._footer_buttons(("Cancel", "cancel", theme.PANEL),
                                      ("Confirm", "confirm", theme.OK))
        m = self.margin
        bottom = footer - m
        if s.message:
            r = self._text(s.message, theme.BODY, theme.WARN, x=self.width // 2, y=bottom,
                           anchor="midbottom")
            bottom = r.top - m // 2
        if not s.lines:
            self._text("Show each item's label to the camera", theme.TITLE, theme.MUTED,
                       x=self.width // 2, y=(top + bottom) // 2, anchor="center")
            return
        self._lines(s.lines, top + m // 2, bottom, removable=True)

    def _receipt(self, s: ReceiptScreen) -> None:
        top = self._top_bar(f"All done, {s.person_name}", None, s.offline)
        footer = self._footer_buttons(("Done", "done", theme.ACCENT))
        self._lines(s.lines, top + self.margin // 2, footer - self.margin, removable=False)

    def _denied(self, s: DeniedScreen) -> None:
        self.surface.fill(theme.DANGER)
        middle = self.height // 2
        self._text(s.title, theme.HUGE, theme.BUTTON_TEXT, x=self.width // 2,
                   y=middle - int(self.height * 0.07), anchor="center")
        self._text(s.reason, theme.TITLE, theme.BUTTON_TEXT, x=self.width // 2,
                   y=middle + int(self.height * 0.07), anchor="center")
        if s.offline:
            self._text("OFFLINE", theme.SMALL, theme.BUTTON_TEXT, x=self.width - self.margin,
                       y=self.margin, anchor="topright")


def save_png(surface: pygame.Surface, path: str) -> None:
    pygame.image.save(surface, path)
