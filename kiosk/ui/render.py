"""Draws a screen model onto a pygame surface and reports what it drew (kiosk.ui.canvas has
the primitives and the report)."""

from __future__ import annotations

from typing import assert_never

import pygame

from kiosk.screens import (
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    HeldItem,
    IdleScreen,
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
from kiosk.ui.keyboard import TYPE_HINT, TYPE_PLACEHOLDER, TYPE_TITLE, CodeKeyboard
from kiosk.ui.pinpad import PinPad
from kiosk.ui.reservation import ReservationPanel
from kiosk.ui.rows import CartRows, reported_summary
from kiosk.ui.text import format_clock, format_day, format_due
from kiosk.ui.theme import Colour
from kiosk.vocabulary import Action

__all__ = [
    "OFFLINE_LABEL",
    "TYPE_PLACEHOLDER",
    "TYPE_TITLE",
    "Button",
    "Face",
    "RenderReport",
    "Renderer",
    "UiAction",
    "save_png",
]

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


def still_there(seconds: int) -> str:
    return f"Still there? This clears in {seconds} s: touch the screen to keep going"


class Renderer(PinPad, CartRows, CodeKeyboard, ReservationPanel):
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
            bottom = self._footer([("Type the code", Action.TYPE, theme.RETURN_FILL, None, 1)]) - m
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
        tools: list[tuple[str, Action]] = []
        if s.staff:
            tools = [("Open door", Action.UNLOCK), ("Enrol", Action.ENROLL)]
            if not s.stocktake:
                tools.append(("Count", Action.STOCKTAKE))
        top = self._top_bar(s.person_name, s.offline, right if count and not s.staff else [], tools)
        m = self._m
        buttons: list[tuple[str, Action, Colour, Colour | None, int]] = [
            ("Cancel", Action.CANCEL, theme.PANEL, theme.PANEL_EDGE, 1)
        ]
        if s.can_type and not s.stocktake:
            buttons.append(("Type code", Action.TYPE, theme.RETURN_FILL, None, 1))
        if s.stocktake:
            buttons.append(("Done counting", Action.CONFIRM, theme.CONFIRM_FILL, None, 2))
        elif s.confirmable:
            buttons.append(("Confirm", Action.CONFIRM, theme.CONFIRM_FILL, None, 2))
        bottom = self._footer(buttons) - m
        bottom = self._staff_line(s.staff_note, bottom)
        if s.countdown is not None:
            bottom = self._countdown_band(s.countdown, bottom) - m
        elif s.message:
            bottom = self._band(s.message, theme.WARN, theme.WARN, bottom) - m
        if s.reservation:
            top = self._reservation(s, top + m, bottom)
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

    def _loans(self, loans: tuple[HeldItem, ...], top: int, bottom: int) -> int:
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
                    Action.EXTEND,
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

    def _receipt(self, s: ReceiptScreen) -> None:
        self._tz = s.tz
        self.surface.fill(theme.BACKGROUND)
        top = self._top_bar(s.person_name, s.offline, [("Receipt", theme.BODY, theme.MUTED)])
        m = self._m
        bottom = self._footer([("Done", Action.DONE, theme.DONE_FILL, None, 1)], span=0.5) - m
        heading = self._text("All done", theme.TITLE, theme.GOOD_TEXT, (m, top + m // 2))
        reported = reported_summary(s.lines)
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
