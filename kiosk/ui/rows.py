"""The lines of a cart and of a receipt: what each item is, what happens to it, and (while the
student can still change it) how it comes back and a Remove button."""

from __future__ import annotations

import pygame

from kiosk.screens import CartLine, LineAction
from kiosk.ui import theme
from kiosk.ui.canvas import Canvas
from kiosk.ui.text import format_due
from kiosk.ui.theme import Colour
from kiosk.vocabulary import Action

CONDITION_LABELS = {"ok": "OK", "damaged": "Damaged", "missing_part": "Missing part"}
REPORTED = {"damaged": "Reported damaged", "missing_part": "Reported: part missing"}

_CART_TAGS: dict[LineAction, tuple[str, Colour]] = {
    LineAction.CHECKOUT: ("Check out", theme.CHECKOUT_FILL),
    LineAction.RETURN: ("Return", theme.RETURN_FILL),
    LineAction.REFUSED: ("Refused", theme.REFUSED_FILL),
    LineAction.COUNTED: ("Counted", theme.RETURN_FILL),
}
_RECEIPT_TAGS: dict[LineAction, tuple[str, Colour]] = {
    LineAction.CHECKOUT: ("Checked out", theme.CHECKOUT_FILL),
    LineAction.RETURN: ("Returned", theme.RETURN_FILL),
    LineAction.REFUSED: ("Not taken", theme.REFUSED_FILL),
    LineAction.COUNTED: ("Counted", theme.RETURN_FILL),
}


class CartRows(Canvas):
    """Rows of items, sized from the surface like everything on the screens."""

    _tz = "UTC"  # the zone of the screen being drawn

    def _row_height(self, line: CartLine, removable: bool) -> int:
        pad = self._row_pad
        one = max(self._px(theme.ROW), self._finger + 2 * pad)
        if removable and line.action is LineAction.RETURN:
            # the item on one line, its condition choices on their own line below
            return pad + self._tag_height + pad + self._finger + pad
        if line.action is LineAction.REFUSED:
            # the reason gets a line of its own, as wide as the row allows: it says what to do
            return max(one, pad + self._tag_height + self._line_height(theme.SMALL) + pad)
        return one

    @property
    def _row_pad(self) -> int:
        return max(6, self._m * 3 // 7)

    @property
    def _tag_height(self) -> int:
        return self._line_height(theme.SMALL) + self._m // 3

    def _rows(self, lines: tuple[CartLine, ...], top: int, bottom: int, *, removable: bool) -> None:
        """The newest lines that fit between ``top`` and ``bottom``, with "+k more" above."""
        m = self._m
        spacing = m // 2
        heights = [self._row_height(line, removable) + spacing for line in lines]
        shown = len(lines)
        if sum(heights) > bottom - top:
            room = bottom - top - self._line_height(theme.SMALL)
            shown = 0
            while shown < len(lines) and sum(heights[len(lines) - shown - 1 :]) <= room:
                shown += 1
            self._text(f"+{len(lines) - shown} more", theme.SMALL, theme.MUTED, (m, top))
            top += self._line_height(theme.SMALL)
        y = top
        for line, height in zip(
            lines[len(lines) - shown :], heights[len(lines) - shown :], strict=True
        ):
            rect = pygame.Rect(m, y, self._w - 2 * m, height - spacing)
            self._row(line, rect, removable)
            y += height

    def _tag(
        self, line: CartLine, removable: bool, left: int, centre_y: int, *, draw: bool = True
    ) -> pygame.Rect:
        widest = max(self._font(theme.SMALL).size(t)[0] for t, _ in _RECEIPT_TAGS.values())
        tag = pygame.Rect(0, 0, widest + self._m, self._tag_height)
        tag.midleft = (left, centre_y)
        if draw:
            self._pill(*_tag_for(line, removable), theme.TEXT, tag)
        return tag

    def _row(self, line: CartLine, rect: pygame.Rect, removable: bool) -> None:
        pad = self._row_pad
        pygame.draw.rect(self.surface, theme.PANEL, rect, border_radius=pad)
        if removable and line.action is LineAction.RETURN:
            self._return_row(line, rect)
            return
        refused = line.action is LineAction.REFUSED  # drawn level with its name, below
        tag = self._tag(line, removable, rect.left + pad, rect.centery, draw=not refused)
        right = rect.right - pad
        if removable and line.action is not LineAction.COUNTED:  # a count is recorded at once
            remove = pygame.Rect(0, 0, self._button_width("Remove", theme.SMALL), 0)
            remove.height = self._finger
            remove.midright = (right, rect.centery)
            self._remove(line, remove)
            right = remove.left - self._gap
        x = tag.right + 2 * pad
        width = right - x
        if line.action is LineAction.REFUSED:
            first = pygame.Rect(x, rect.top + pad, width, self._tag_height)
            tag.centery = first.centery
            self._pill(*_tag_for(line, removable), theme.TEXT, tag)
            name = self._text(line.name, theme.BODY, theme.TEXT, first.midleft, "midleft", width)
            if line.code != line.name and first.right - name.right > 3 * self._gap:
                at = (name.right + self._gap, first.centery)
                self._text(line.code, theme.SMALL, theme.MUTED, at, "midleft", first.right - at[0])
            reason = line.reason or "Not available"
            at = (rect.left + pad, first.bottom + pad // 2)
            self._text(reason, theme.SMALL, theme.WARN, at, "topleft", right - at[0])
            return
        name_h = self._line_height(theme.BODY)
        top = rect.centery - (name_h + self._line_height(theme.SMALL)) // 2
        self._text(line.name, theme.BODY, theme.TEXT, (x, top), "topleft", width)
        self._details(self._detail_parts(line, removable), (x, top + name_h), width)

    def _remove(self, line: CartLine, rect: pygame.Rect) -> None:
        self._button(
            "Remove",
            Action.REMOVE,
            rect,
            theme.BACKGROUND,
            role=theme.SMALL,
            outline=theme.PANEL_EDGE,
            code=line.code,
        )

    def _return_row(self, line: CartLine, rect: pygame.Rect) -> None:
        """A line coming back: what it is, then how it comes back, each choice its own button
        (the one chosen filled), and Remove at the far end."""
        pad, gap = self._row_pad, self._gap
        first = pygame.Rect(rect.left + pad, rect.top + pad, rect.width - 2 * pad, self._tag_height)
        tag = self._tag(line, True, first.left, first.centery)
        x = tag.right + 2 * pad
        name = self._text(
            line.name, theme.BODY, theme.TEXT, (x, first.centery), "midleft", first.right - x
        )
        if line.code != line.name and first.right - name.right > 3 * gap:
            self._text(
                line.code,
                theme.SMALL,
                theme.MUTED,
                (name.right + gap, first.centery),
                "midleft",
                first.right - name.right - gap,
            )
        y = first.bottom + pad
        remove = pygame.Rect(0, y, self._button_width("Remove", theme.SMALL), self._finger)
        remove.right = rect.right - pad
        self._remove(line, remove)
        x = rect.left + pad
        for condition, label in CONDITION_LABELS.items():
            if line.kit and condition == "missing_part":
                label = "Missing"  # a kit's piece: the piece itself is what is missing
            chosen = line.condition == condition
            width = self._button_width(CONDITION_LABELS[condition], theme.SMALL)
            button = pygame.Rect(x, y, width, self._finger)
            if button.right > remove.left - gap:
                button.width = max(self._finger // 2, remove.left - gap - x)
            self._button(
                label,
                Action.set_condition(condition),
                button,
                theme.CONDITION_FILL[condition] if chosen else theme.BACKGROUND,
                role=theme.SMALL,
                outline=theme.TEXT if chosen else theme.PANEL_EDGE,
                code=line.code,
                ink=theme.CONDITION_INK[condition] if chosen else theme.MUTED,
            )
            x = button.right + gap

    def _detail_parts(self, line: CartLine, removable: bool) -> list[tuple[str, Colour]]:
        parts: list[tuple[str, Colour]] = []
        if line.code != line.name:  # an unknown label's line is named by its code already
            parts.append((line.code, theme.MUTED))
        if line.action is LineAction.REFUSED:
            parts.append((line.reason or "Not available", theme.WARN))
        elif line.due is not None:
            parts.append((format_due(line.due, self._tz), theme.TEXT))
        if not removable and line.action is LineAction.RETURN and line.condition in REPORTED:
            parts.append((REPORTED[line.condition], theme.WARN))
        return parts

    def _details(self, parts: list[tuple[str, Colour]], at: tuple[int, int], width: int) -> None:
        """Small texts on one line separated by dots; the last one shrinks to fit."""
        x, y = at
        right = x + width
        gap = self._m
        dot = max(2, self._px(1 / 200))
        face = self._font(theme.SMALL)
        centre_y = y + face.ascent * 2 // 3
        for i, (text, colour) in enumerate(parts):
            if right - x < gap * 2:
                break
            if i:
                pygame.draw.circle(self.surface, theme.MUTED, (x + gap // 2, centre_y), dot)
                x += gap
            x = self._text(text, theme.SMALL, colour, (x, y), "topleft", right - x).right


def _tag_for(line: CartLine, removable: bool) -> tuple[str, float, Colour]:
    label, fill = (_CART_TAGS if removable else _RECEIPT_TAGS)[line.action]
    return label, theme.SMALL, fill


def reported_summary(lines: tuple[CartLine, ...]) -> str | None:
    """What the receipt confirms was reported: staff will look at it."""
    damaged = sum(1 for ln in lines if ln.action is LineAction.RETURN and ln.condition == "damaged")
    missing = sum(
        1
        for ln in lines
        if (ln.action is LineAction.RETURN and ln.condition == "missing_part")
        or (ln.kit and ln.action is LineAction.REFUSED)
    )
    parts = ([f"{damaged} damaged"] if damaged else []) + (
        [f"{missing} missing"] if missing else []
    )
    return f"Reported: {', '.join(parts)}" if parts else None
