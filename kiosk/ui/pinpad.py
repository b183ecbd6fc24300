"""The door PIN pad: big digit keys for a finger, the PIN shown only as dots, Cancel to go
back. Side by side on a landscape panel (the person and the dots left, the keys right),
stacked on a portrait one."""

from __future__ import annotations

import pygame

from kiosk.screens import PinScreen
from kiosk.ui import theme
from kiosk.ui.canvas import Canvas
from kiosk.vocabulary import Action
from wire.pins import MAX_DIGITS

PIN_TITLE = "Door PIN"
PIN_PROMPT = "Type your PIN"
PIN_EMPTY = "No digits yet"
PIN_KEYS = (("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"), ("backspace", "0", "enter"))
KEY_LABELS = {"backspace": "Delete", "enter": "Unlock"}
WIDE = 1.2  # a panel at least this much wider than tall puts the keys beside the rest


class PinPad(Canvas):
    """Draws ``PinScreen``; its keys report "key" with the digit (or "backspace") as the code,
    as the label keyboard's do, then "enter" and "cancel"."""

    def _pin_pad(self, s: PinScreen) -> None:
        self.surface.fill(theme.BACKGROUND)
        right: list[tuple[str, float, theme.Colour]] = []
        if s.countdown is not None:
            right.append((f"Still there? {s.countdown} s", theme.BODY, theme.WARN))
        top = self._top_bar(PIN_TITLE, s.offline, right)
        m, gap = self._m, self._gap
        cancel_h = self._touch(theme.FOOTER)
        if self._w >= self._h * WIDE:
            keys_w = (self._w - 3 * m) * 11 // 20
            keys = pygame.Rect(self._w - m - keys_w, top + m, keys_w, self._h - top - 2 * m)
            info = pygame.Rect(m, keys.top, keys.left - 2 * m, keys.height)
            cancel = pygame.Rect(info.left, info.bottom - cancel_h, info.width, cancel_h)
            info.height -= cancel_h + gap
        else:
            cancel = pygame.Rect(m, self._h - m - cancel_h, self._w - 2 * m, cancel_h)
            info_h = (
                self._line_height(theme.TITLE)
                + self._dots_height()
                + 2 * self._line_height(theme.BODY)
            )
            info = pygame.Rect(m, top + m, self._w - 2 * m, info_h)
            keys = pygame.Rect(m, info.bottom + gap, self._w - 2 * m, 0)
            keys.height = cancel.top - gap - keys.top
        self._pin_info(s, info)
        self._button(
            "Cancel", Action.CANCEL, cancel, theme.PANEL, role=theme.TITLE, outline=theme.PANEL_EDGE
        )
        self._pin_keys(keys)

    def _dots_height(self) -> int:
        return max(theme.MIN_TOUCH_PX, self._px(theme.KEY))

    def _pin_info(self, s: PinScreen, area: pygame.Rect) -> None:
        """Whose PIN, the digits typed so far as dots, and what went wrong."""
        m = self._m
        y = area.top
        name = self._text(
            s.person_name, theme.TITLE, theme.TEXT, (area.left, y), "topleft", area.width
        )
        y = name.bottom if name.height else y + self._line_height(theme.TITLE)
        self._text(PIN_PROMPT, theme.BODY, theme.MUTED, (area.left, y), "topleft", area.width)
        y += self._line_height(theme.BODY) + m // 2
        field = pygame.Rect(area.left, y, area.width, self._dots_height())
        pygame.draw.rect(self.surface, theme.PANEL, field, border_radius=m // 2)
        if s.entered:
            # room for the longest PIN: its dots each a dot's width apart
            radius = max(5, min(field.height // 4, (field.width - 2 * m) // (3 * MAX_DIGITS)))
            step = 3 * radius
            x = field.left + m + radius
            for _ in range(min(s.entered, (field.width - 2 * m) // step)):
                pygame.draw.circle(self.surface, theme.TEXT, (x, field.centery), radius)
                x += step
        else:
            inner = field.inflate(-2 * m, 0)
            self._text(PIN_EMPTY, theme.SMALL, theme.MUTED, inner.midleft, "midleft", inner.width)
        if s.message:
            self._paragraph(
                s.message,
                theme.BODY,
                theme.WARN,
                centre_x=area.centerx,
                top=field.bottom + m // 2,
                max_width=area.width,
                max_lines=max(
                    1, (area.bottom - field.bottom - m // 2) // self._line_height(theme.BODY)
                ),
            )

    def _pin_keys(self, area: pygame.Rect) -> None:
        gap = self._gap
        rows, columns = len(PIN_KEYS), len(PIN_KEYS[0])
        key_h = (area.height - (rows - 1) * gap) // rows
        key_w = (area.width - (columns - 1) * gap) // columns
        for r, row in enumerate(PIN_KEYS):
            for c, key in enumerate(row):
                rect = pygame.Rect(
                    area.left + c * (key_w + gap), area.top + r * (key_h + gap), key_w, key_h
                )
                if key == "enter":
                    self._button(
                        KEY_LABELS[key], Action.ENTER, rect, theme.CONFIRM_FILL, role=theme.BODY
                    )
                elif key == "backspace":
                    self._button(
                        KEY_LABELS[key],
                        Action.KEY,
                        rect,
                        theme.BACKGROUND,
                        role=theme.BODY,
                        outline=theme.PANEL_EDGE,
                        code=key,
                    )
                else:
                    self._button(key, Action.KEY, rect, theme.PANEL, role=theme.TITLE, code=key)
