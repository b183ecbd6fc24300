"""A person's reservation on their cart screen: what they booked and which of it is still to
scan, so they know when they have everything."""

from __future__ import annotations

import pygame

from kiosk.screens import CartScreen
from kiosk.ui import theme
from kiosk.ui.canvas import Canvas
from kiosk.ui.text import clean, wrap

TO_SCAN = "To scan"
STILL_TO_SCAN = "Still to scan"


class ReservationPanel(Canvas):
    def _reservation(self, s: CartScreen, top: int, bottom: int) -> int:
        """Below ``top``: with nothing scanned yet, the reservation and a row per item; once
        scanning has begun, one line naming what is still to scan (nothing once all is in).
        Returns where the rest may start."""
        m = self._m
        width = self._w - 2 * m
        if s.lines:
            if not s.reserved:
                return top
            names = ", ".join(r.name for r in s.reserved)
            text = f"{STILL_TO_SCAN} for your reservation: {names}"
            return self._text(text, theme.BODY, theme.ACCENT, (m, top), "topleft", width).bottom
        height = self._line_height(theme.BODY)
        heading = wrap(clean(s.reservation or ""), self._font(theme.BODY), width, 2)
        y = top
        for line in heading:
            self._text(line, theme.BODY, theme.TEXT, (m, y), "topleft", width)
            y += height
        pad = max(4, m // 3)
        row_h = self._line_height(theme.SMALL) + m // 3 + 2 * pad
        more_h = self._line_height(theme.SMALL)
        room = max(0, (bottom - y) // (row_h + pad))
        if room < len(s.reserved):
            room = max(0, (bottom - y - more_h) // (row_h + pad))
        tag_w = self._font(theme.SMALL).size(TO_SCAN)[0] + m
        for r in s.reserved[:room]:
            y += pad
            rect = pygame.Rect(m, y, width, row_h)
            pygame.draw.rect(self.surface, theme.PANEL, rect, border_radius=pad)
            tag = pygame.Rect(0, 0, tag_w, row_h - 2 * pad)
            tag.midleft = (rect.left + pad, rect.centery)
            self._pill(TO_SCAN, theme.SMALL, theme.CHECKOUT_FILL, theme.TEXT, tag)
            x = tag.right + 2 * pad
            name = self._text(
                r.name, theme.BODY, theme.TEXT, (x, rect.centery), "midleft", rect.right - pad - x
            )
            if r.code != r.name and rect.right - name.right > 3 * self._gap:
                at = (name.right + self._gap, rect.centery)
                self._text(
                    r.code, theme.SMALL, theme.MUTED, at, "midleft", rect.right - pad - at[0]
                )
            y += row_h
        if len(s.reserved) > room:
            self._text(f"+{len(s.reserved) - room} more", theme.SMALL, theme.MUTED, (m, y))
            y += more_h
        return y
