"""Draws a screen model onto a pygame surface and reports what it drew (kiosk.ui.canvas has
the primitives and the report)."""

from __future__ import annotations

from typing import assert_never

import pygame

from kiosk.screens import (
    CartLine,
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    Loan,
    PinScreen,
    ReceiptScreen,
    Screen,
)
from kiosk.ui import theme
from kiosk.ui.canvas import (
    OFFLINE_LABEL,
    Button,
    Face,
    RenderReport,
    UiAction,
    save_png,
)
from kiosk.ui.pinpad import PinPad
from kiosk.ui.text import format_clock, format_day, format_due
from kiosk.ui.theme import Colour

__all__ = [
    "OFFLINE_LABEL",
    "Button",
    "Face",
    "RenderReport",
    "Renderer",
    "UiAction",
    "save_png",
]

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

IDLE_HEADLINE = "Tap your badge"
IDLE_HINT = "then show each item's label to the camera"
STATION_HEADLINE = "Returning something?"
STATION_HINT = "Show its label to the camera: no badge needed"
STARTING_HEADLINE = "Please wait"
STARTING_HINT = "Starting up, waiting for the hub"
STATION_STARTING = "Starting up, waiting for the hub: returns are still taken"
RETURNED_HEADLINE = "Returned"
RETURNED_HINT = "Thank you: it is checked back in"
OFFLINE_NOTE = "Offline: loans are saved here and sent when the network is back"
EMPTY_CART_HINT = "Show each item's label to the camera"
TYPE_TITLE = "Type the code on the label"
TYPE_HINT = "Tap Type code for each item's label"
TYPE_PLACEHOLDER = "e.g. CAM-0001"
KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM.")  # then a wide Delete
BACKSPACE_KEY = "backspace"  # the session's name for the delete key


def still_there(seconds: int) -> str:
    return f"Still there? This clears in {seconds} s: touch the screen to keep going"


class Renderer(PinPad):
    """Draws screen models; every size is a fraction of the surface height, read at each render.

    Times are drawn in the zone each screen carries (the cage's, from the hub's policy), never
    in the zone the machine happens to be set to.
    """

    _tz = "UTC"  # the zone of the screen being drawn

    def render(self, screen: Screen) -> RenderReport:
        """Redraw the whole surface for ``screen`` (no flip: the display does that)."""
        self._w, self._h = self.surface.get_size()
        self._report = RenderReport()
        match screen:
            case IdleScreen():
                self._idle(screen)
            case CartScreen():
                self._cart(screen)
            case CodeEntryScreen():
                self._code_entry(screen)
            case PinScreen():
                self._pin_pad(screen)
            case ReceiptScreen():
                self._receipt(screen)
            case DeniedScreen():
                self._denied(screen)
            case _:
                assert_never(screen)
        return self._report

    def _countdown_band(self, seconds: int, bottom: int) -> int:
        return self._band(still_there(seconds), theme.TEXT, theme.WARN, bottom)

    # rows ----------------------------------------------------------------------------------

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
            "remove",
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
                f"condition:{condition}",
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

    # screens -------------------------------------------------------------------------------

    def _idle(self, s: IdleScreen) -> None:
        self._tz = s.tz
        if s.returned:
            self._returned(s)
            return
        self.surface.fill(theme.BACKGROUND)
        top = self._top_bar(
            s.kiosk_name,
            s.offline,
            [
                (format_clock(s.now, s.tz), theme.TITLE, theme.TEXT),
                (format_day(s.now, s.tz), theme.BODY, theme.MUTED),
            ],
        )
        m = self._m
        bottom = self._h - m
        if s.can_type:
            bottom = self._footer([("Type the code", "type", theme.RETURN_FILL, None, 1)]) - m
        bottom = self._staff_line(s.staff_note, bottom)
        if s.message:
            bottom = self._band(s.message, theme.TEXT, theme.ACCENT, bottom) - m
        notices = list(s.troubles)
        if s.starting and s.station:
            notices.append(STATION_STARTING)
        for notice in reversed(notices):
            bottom = self._band(notice, theme.WARN, theme.WARN, bottom, lines=1) - m
        if s.offline:
            bottom = (
                self._text(
                    OFFLINE_NOTE, theme.SMALL, theme.WARN, (self._w // 2, bottom), "midbottom"
                ).top
                - m
            )
        if s.station:
            headline, hint = STATION_HEADLINE, STATION_HINT
        elif s.starting:
            headline, hint = STARTING_HEADLINE, STARTING_HINT
        else:
            headline, hint = IDLE_HEADLINE, IDLE_HINT
        head_h = self._line_height(theme.HUGE)
        block = head_h + self._line_height(theme.BODY)
        y = top + max(m, (bottom - top - block) // 2)
        self._text(headline, theme.HUGE, theme.TEXT, (self._w // 2, y), "midtop")
        self._text(hint, theme.BODY, theme.MUTED, (self._w // 2, y + head_h), "midtop")

    def _returned(self, s: IdleScreen) -> None:
        """A return station's answer, big enough to read from the door: the whole screen."""
        assert s.returned is not None
        self.surface.fill(theme.RETURNED_BACKGROUND)
        m = self._m
        width = self._w - 4 * m
        radius = self._px(0.07)
        name_h = self._paragraph_height(s.returned, theme.TITLE, width, 2)
        head_h = self._line_height(theme.HUGE)
        hint_h = self._line_height(theme.BODY)
        block = 2 * radius + m + head_h + name_h + m + hint_h
        y = max(m, (self._h - block) // 2)
        cx, cy = self._w // 2, y + radius
        stroke = max(3, radius // 5)
        pygame.draw.circle(self.surface, theme.TEXT, (cx, cy), radius, width=stroke)
        arm = radius // 2
        pygame.draw.lines(
            self.surface,
            theme.TEXT,
            False,
            [(cx - arm, cy), (cx - arm // 3, cy + arm * 2 // 3), (cx + arm, cy - arm // 2)],
            stroke,
        )
        y += 2 * radius + m
        self._text(RETURNED_HEADLINE, theme.HUGE, theme.TEXT, (cx, y), "midtop")
        y += head_h
        y = self._paragraph(
            s.returned, theme.TITLE, theme.TEXT, centre_x=cx, top=y, max_width=width, max_lines=2
        )
        self._text(RETURNED_HINT, theme.BODY, theme.TEXT, (cx, y + m), "midtop")
        if s.offline:
            self._offline_pill(self._w - m, m + self._line_height(theme.SMALL) // 2 + m // 2)

    def _cart(self, s: CartScreen) -> None:
        self._tz = s.tz
        self.surface.fill(theme.BACKGROUND)
        count = len(s.lines)
        right = [(f"{count} item{'' if count == 1 else 's'}", theme.BODY, theme.MUTED)]
        tools: list[tuple[str, str]] = []
        if s.staff:
            tools = [("Open door", "unlock"), ("Enrol", "enroll")]
            if not s.stocktake:
                tools.append(("Count", "stocktake"))
        top = self._top_bar(s.person_name, s.offline, right if count and not s.staff else [], tools)
        m = self._m
        buttons: list[tuple[str, str, Colour, Colour | None, int]] = [
            ("Cancel", "cancel", theme.PANEL, theme.PANEL_EDGE, 1)
        ]
        if s.can_type and not s.stocktake:
            buttons.append(("Type code", "type", theme.RETURN_FILL, None, 1))
        if s.stocktake:
            buttons.append(("Done counting", "confirm", theme.CONFIRM_FILL, None, 2))
        elif s.confirmable:
            buttons.append(("Confirm", "confirm", theme.CONFIRM_FILL, None, 2))
        bottom = self._footer(buttons) - m
        bottom = self._staff_line(s.staff_note, bottom)
        if s.countdown is not None:
            bottom = self._countdown_band(s.countdown, bottom) - m
        elif s.message:
            bottom = self._band(s.message, theme.WARN, theme.WARN, bottom) - m
        if s.lines:
            self._rows(s.lines, top + m, bottom, removable=True)
            return
        if s.loans:
            top = self._loans(s.loans, top + m, bottom)
        width = self._w - 2 * m
        if s.stocktake:
            hint = "Show each item on the shelf to the camera"
        elif s.can_type:
            hint = TYPE_HINT
        else:
            hint = EMPTY_CART_HINT
        height = self._paragraph_height(hint, theme.TITLE, width, 2)
        if bottom - top < height:
            return  # the loans took the room; the hint is the least of it
        self._paragraph(
            hint,
            theme.TITLE,
            theme.MUTED,
            centre_x=self._w // 2,
            top=(top + bottom - height) // 2,
            max_width=width,
            max_lines=2,
        )

    def _loans(self, loans: tuple[Loan, ...], top: int, bottom: int) -> int:
        """What the person already holds, as a welcome, each with an Extend button when the
        session allows it; returns where the rest may start."""
        m, gap = self._m, self._gap
        count = len(loans)
        heading = self._text(
            f"You have {count} item{'' if count == 1 else 's'} out",
            theme.BODY,
            theme.MUTED,
            (m, top),
        )
        y = heading.bottom + m // 2
        row_h = max(self._line_height(theme.BODY), self._finger) + gap
        more_h = self._line_height(theme.SMALL)
        room = max(0, (bottom - y) // row_h)
        if room < count:
            room = max(0, (bottom - y - more_h) // row_h)
        width = self._w - 2 * m
        extend_w = self._button_width("Extend", theme.SMALL)
        for loan in loans[:room]:
            colour = theme.WARN if loan.overdue else theme.TEXT
            due = ("OVERDUE · " if loan.overdue else "") + format_due(loan.due, self._tz)
            centre = y + (row_h - gap) // 2
            due_w = self._font(theme.SMALL).size(due)[0]
            right = self._w - m - (extend_w + gap if loan.extendable else 0)
            name_w = max(width // 3, right - m - due_w - 2 * m)
            name = self._text(loan.name, theme.BODY, colour, (m, centre), "midleft", name_w)
            x = name.right + 2 * m
            self._text(due, theme.SMALL, colour, (x, centre), "midleft", right - x)
            if loan.extendable:
                button = pygame.Rect(0, 0, extend_w, self._finger)
                button.midright = (self._w - m, centre)
                self._button(
                    "Extend",
                    "extend",
                    button,
                    theme.BACKGROUND,
                    role=theme.SMALL,
                    outline=theme.PANEL_EDGE,
                    code=loan.code,
                )
            y += row_h
        if count > room:
            self._text(f"+{count - room} more", theme.SMALL, theme.MUTED, (m, y))
            y += more_h
        return y

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
                ("Cancel", "cancel", theme.PANEL, theme.PANEL_EDGE, 1),
                ("Look up", "enter", theme.CONFIRM_FILL, None, 2),
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
                self._button(key, "key", rect, theme.PANEL, role=theme.BODY, code=key)
                x += key_w + gap
            if len(row) < columns:
                rect = pygame.Rect(x, y, self._w - m - x, key_h)
                self._button(
                    "Delete",
                    "key",
                    rect,
                    theme.BACKGROUND,
                    role=theme.BODY,
                    outline=theme.PANEL_EDGE,
                    code=BACKSPACE_KEY,
                )

    def _receipt(self, s: ReceiptScreen) -> None:
        self._tz = s.tz
        self.surface.fill(theme.BACKGROUND)
        top = self._top_bar(s.person_name, s.offline, [("Receipt", theme.BODY, theme.MUTED)])
        m = self._m
        bottom = self._footer([("Done", "done", theme.DONE_FILL, None, 1)], span=0.5) - m
        heading = self._text("All done", theme.TITLE, theme.GOOD_TEXT, (m, top + m // 2))
        reported = _reported(s.lines)
        if reported:
            x = heading.right + 2 * m
            self._text(
                reported, theme.BODY, theme.WARN, (x, heading.centery), "midleft", self._w - m - x
            )
        self._rows(s.lines, heading.bottom + m // 2, bottom, removable=False)

    def _denied(self, s: DeniedScreen) -> None:
        self.surface.fill(theme.DENIED_BACKGROUND)
        m = self._m
        if s.offline:
            self._offline_pill(self._w - m, m + self._line_height(theme.SMALL) // 2 + m // 2)
        width = self._w - 4 * m
        radius = self._px(0.07)
        title_h = self._paragraph_height(s.title, theme.HUGE, width, 2)
        reason_h = self._paragraph_height(s.reason, theme.TITLE, width, 3)
        block = 2 * radius + m + title_h + m + reason_h
        y = max(2 * m, (self._h - block) // 2)
        centre = (self._w // 2, y + radius)
        pygame.draw.circle(self.surface, theme.TEXT, centre, radius, width=max(3, radius // 6))
        arm = radius * 45 // 100
        stroke = max(3, radius // 6)
        cx, cy = centre
        pygame.draw.line(
            self.surface, theme.TEXT, (cx - arm, cy - arm), (cx + arm, cy + arm), stroke
        )
        pygame.draw.line(
            self.surface, theme.TEXT, (cx - arm, cy + arm), (cx + arm, cy - arm), stroke
        )
        y += 2 * radius + m
        y = (
            self._paragraph(
                s.title,
                theme.HUGE,
                theme.TEXT,
                centre_x=self._w // 2,
                top=y,
                max_width=width,
                max_lines=2,
            )
            + m
        )
        self._paragraph(
            s.reason,
            theme.TITLE,
            theme.TEXT,
            centre_x=self._w // 2,
            top=y,
            max_width=width,
            max_lines=3,
        )


def _tag_for(line: CartLine, removable: bool) -> tuple[str, float, Colour]:
    label, fill = (_CART_TAGS if removable else _RECEIPT_TAGS)[line.action]
    return label, theme.SMALL, fill


def _reported(lines: tuple[CartLine, ...]) -> str | None:
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
