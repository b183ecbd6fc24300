"""The on-screen keyboard for the code printed under a label's QR code, for a label the camera
cannot read."""

from __future__ import annotations

import pygame

from kiosk.screens import CodeEntryScreen
from kiosk.ui import theme
from kiosk.ui.canvas import Canvas
from kiosk.ui.theme import Colour
from kiosk.vocabulary import Action

TYPE_TITLE = "Type the code on the label"
TYPE_HINT = "Tap Type code for each item's label"
TYPE_PLACEHOLDER = "e.g. CAM-0001"
KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM.")  # then a wide Delete
BACKSPACE_KEY = "backspace"  # the session's name for the delete key


class CodeKeyboard(Canvas):
    _tz = "UTC"

    def _code_entry(self, s: CodeEntryScreen) -> None:
        """A keyboard for the code printed under a label's QR code."""
        self._tz = s.tz
        self.surface.fill(theme.BACKGROUND)
        right: list[tuple[str, float, Colour]] = []
        if s.countdown is not None:
            right.append((f"Still there? {s.countdown} s", theme.BODY, theme.WARN))
        top = self._top_bar(TYPE_TITLE, s.offline, right)
        m, gap = self._m, self._gap
        footer = self._footer(
            [
                ("Cancel", Action.CANCEL, theme.PANEL, theme.PANEL_EDGE, 1),
                ("Look up", Action.ENTER, theme.CONFIRM_FILL, None, 2),
            ]
        )
        key_h = self._touch(theme.KEY)
        field_rect = pygame.Rect(m, top + m, self._w - 2 * m, key_h)
        pygame.draw.rect(self.surface, theme.PANEL, field_rect, border_radius=m // 2)
        inner = field_rect.inflate(-2 * m, 0)
        if s.typed:
            typed = self._text(
                s.typed, theme.TITLE, theme.TEXT, inner.midleft, "midleft", inner.width // 2
            )
        else:
            typed = self._text(
                TYPE_PLACEHOLDER, theme.BODY, theme.MUTED, inner.midleft, "midleft", inner.width
            )
        if s.message:
            x = typed.right + 2 * m
            self._text(
                s.message, theme.SMALL, theme.WARN, (x, inner.centery), "midleft", inner.right - x
            )
        rows_top = field_rect.bottom + gap
        room = footer - gap - rows_top
        key_h = min(key_h, max(theme.MIN_TOUCH_PX // 2, (room - 3 * gap) // len(KEY_ROWS)))
        columns = max(len(row) for row in KEY_ROWS)
        key_w = (self._w - 2 * m - (columns - 1) * gap) // columns
        for r, row in enumerate(KEY_ROWS):
            y = rows_top + r * (key_h + gap)
            x = m
            for key in row:
                rect = pygame.Rect(x, y, key_w, key_h)
                self._button(key, Action.KEY, rect, theme.PANEL, role=theme.BODY, code=key)
                x += key_w + gap
            if len(row) < columns:
                rect = pygame.Rect(x, y, self._w - m - x, key_h)
                self._button(
                    "Delete",
                    Action.KEY,
                    rect,
                    theme.BACKGROUND,
                    role=theme.BODY,
                    outline=theme.PANEL_EDGE,
                    code=BACKSPACE_KEY,
                )
