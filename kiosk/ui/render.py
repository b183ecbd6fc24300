"""Draws a screen model onto a pygame surface and reports what it drew.

The report (every string with its rectangle, every touch target) is what the display uses to turn
a tap into an action, and what tests use to check that nothing is clipped or overlapping without
having to read pixels.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import assert_never

import pygame

from kiosk.screens import (
    CartLine,
    CartScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    Loan,
    ReceiptScreen,
    Screen,
)
from kiosk.ui import theme
from kiosk.ui.text import clean, fit, format_clock, format_day, format_due, wrap
from kiosk.ui.theme import Colour


@dataclass(frozen=True)
class Button:
    """A touch target as drawn; ``code`` names the cart line a "remove" belongs to."""

    action: str  # "confirm" | "cancel" | "remove" | "done"
    code: str | None
    rect: pygame.Rect


@dataclass(frozen=True)
class UiAction:
    """What a tap meant, for the app: the same vocabulary as ``Button.action`` plus "quit"."""

    action: str
    code: str | None = None


@dataclass
class RenderReport:
    """Everything one frame drew, in drawing order."""

    texts: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

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


# A return line's one-touch problem report; each touch moves to the next.
CONDITION_LABELS = {"ok": "Condition OK", "damaged": "Damaged", "missing_part": "Part missing"}

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
OFFLINE_LABEL = "OFFLINE"
OFFLINE_NOTE = "Offline: loans are saved here and sent when the network is back"
EMPTY_CART_HINT = "Show each item's label to the camera"


class Renderer:
    """Draws screen models; every size is a fraction of the surface height, read at each render.

    ``tz`` is the zone clock and due times are shown in; None means the Pi's own zone.
    """

    def __init__(self, surface: pygame.Surface, *, tz: tzinfo | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.surface = surface
        self.tz = tz
        self._fonts: dict[int, pygame.font.Font] = {}
        self._report = RenderReport()
        self._w, self._h = surface.get_size()

    def render(self, screen: Screen) -> RenderReport:
        """Redraw the whole surface for ``screen`` (no flip: the display does that)."""
        self._w, self._h = self.surface.get_size()
        self._report = RenderReport()
        match screen:
            case IdleScreen():
                self._idle(screen)
            case CartScreen():
                self._cart(screen)
            case ReceiptScreen():
                self._receipt(screen)
            case DeniedScreen():
                self._denied(screen)
            case _:
                assert_never(screen)
        return self._report

    # sizes ---------------------------------------------------------------------------------

    def _px(self, fraction: float) -> int:
        """A size as a fraction of the screen height (of a narrower basis on a portrait or
        4:3 screen, so the headline still fits across)."""
        return round(min(self._h, self._w * theme.MAX_BASIS_PER_WIDTH) * fraction)

    @property
    def _m(self) -> int:
        return max(6, self._px(theme.MARGIN))

    def _font(self, role: float) -> pygame.font.Font:
        size = max(theme.MIN_FONT_PX, self._px(role))
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts[size] = pygame.font.Font(None, size)
        return font

    def _line_height(self, role: float) -> int:
        return self._font(role).get_linesize()

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
        font = self._font(role)
        limit = self._w - 2 * self._m if max_width is None else min(max_width, self._w)
        shown = fit(clean(text), font, max(1, limit))
        if not shown:
            return pygame.Rect(at, (0, 0))
        image = font.render(shown, True, colour)
        rect = image.get_rect()
        setattr(rect, anchor, at)
        rect.clamp_ip(self.surface.get_rect())  # last resort; the layout already keeps it inside
        self.surface.blit(image, rect)
        self._report.texts.append((shown, rect))
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
        action: str,
        rect: pygame.Rect,
        fill: Colour,
        *,
        role: float,
        outline: Colour | None = None,
        code: str | None = None,
    ) -> None:
        radius = max(4, rect.height // 5)
        pygame.draw.rect(self.surface, fill, rect, border_radius=radius)
        if outline is not None:
            pygame.draw.rect(
                self.surface, outline, rect, width=max(2, self._px(1 / 240)), border_radius=radius
            )
        self._text(label, role, theme.TEXT, rect.center, "center", rect.width - 2 * self._m)
        self._report.buttons.append(Button(action, code, rect.copy()))

    def _offline_pill(self, right: int, centre_y: int) -> pygame.Rect:
        font = self._font(theme.SMALL)
        pad = self._m // 2
        width, _ = font.size(OFFLINE_LABEL)
        rect = pygame.Rect(0, 0, width + 4 * pad, font.get_linesize() + pad)
        rect.midright = (right, centre_y)
        self._pill(OFFLINE_LABEL, theme.SMALL, theme.WARN, theme.DARK_TEXT, rect)
        return rect

    # shared pieces -------------------------------------------------------------------------

    def _top_bar(
        self, title: str, offline: bool, right: Sequence[tuple[str, float, Colour]] = ()
    ) -> int:
        """Title on the left; ``right`` items right-aligned, outermost first. Returns the bottom."""
        bar = pygame.Rect(0, 0, self._w, self._px(theme.TOP_BAR))
        pygame.draw.rect(self.surface, theme.PANEL, bar)
        m = self._m
        x = self._w - m
        for text, role, colour in right:
            x = self._text(text, role, colour, (x, bar.centery), "midright").left - m
        if offline:
            x = self._offline_pill(x, bar.centery).left - m
        self._text(title, theme.TITLE, theme.TEXT, (m, bar.centery), "midleft", x - m)
        return bar.bottom

    def _message_band(self, message: str, ink: Colour, stripe: Colour, bottom: int) -> int:
        """A panel above ``bottom`` with up to two wrapped lines; returns its top."""
        m = self._m
        pad = m // 2 + 2
        stripe_w = max(4, m // 2)
        rect = pygame.Rect(m, 0, self._w - 2 * m, 0)
        width = rect.width - stripe_w - 3 * pad
        lines = wrap(clean(message), self._font(theme.BODY), width, 2)
        height = self._line_height(theme.BODY)
        rect.height = len(lines) * height + 2 * pad
        rect.bottom = bottom
        pygame.draw.rect(self.surface, theme.PANEL, rect, border_radius=pad)
        pygame.draw.rect(
            self.surface,
            stripe,
            (rect.left, rect.top, stripe_w, rect.height),
            border_top_left_radius=pad,
            border_bottom_left_radius=pad,
        )
        for i, line in enumerate(lines):
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
        self, specs: Sequence[tuple[str, str, Colour, Colour | None, int]], span: float = 1.0
    ) -> int:
        """Big buttons along the bottom: (label, action, fill, outline, weight). Returns the top."""
        m = self._m
        height = max(self._px(theme.FOOTER), theme.MIN_TOUCH_PX)
        top = self._h - m - height
        total = round((self._w - 2 * m) * span)
        left = x = (self._w - total) // 2
        free = total - m * (len(specs) - 1)
        weights = sum(spec[4] for spec in specs)
        for i, (label, action, fill, outline, weight) in enumerate(specs):
            last = i == len(specs) - 1
            width = left + total - x if last else free * weight // weights
            self._button(
                label,
                action,
                pygame.Rect(x, top, width, height),
                fill,
                role=theme.TITLE if len(specs) < 4 else theme.SMALL,  # four fit only smaller
                outline=outline,
            )
            x += width + m
        return top

    def _rows(self, lines: tuple[CartLine, ...], top: int, bottom: int, *, removable: bool) -> None:
        """The newest lines that fit between ``top`` and ``bottom``, with "+k more" above."""
        m = self._m
        row_h = max(self._px(theme.ROW), theme.MIN_TOUCH_PX + m)
        shown = lines
        if len(lines) * row_h > bottom - top:
            more_h = self._line_height(theme.SMALL)
            capacity = max(0, (bottom - top - more_h) // row_h)
            shown = lines[len(lines) - capacity :]
            self._text(f"+{len(lines) - len(shown)} more", theme.SMALL, theme.MUTED, (m, top))
            top += more_h
        for i, line in enumerate(shown):
            rect = pygame.Rect(m, top + i * row_h, self._w - 2 * m, row_h - m // 2)
            self._row(line, rect, removable)

    def _row(self, line: CartLine, rect: pygame.Rect, removable: bool) -> None:
        pad = max(4, rect.height // 8)
        pygame.draw.rect(self.surface, theme.PANEL, rect, border_radius=pad)
        label, fill = (_CART_TAGS if removable else _RECEIPT_TAGS)[line.action]
        tag = pygame.Rect(0, 0, round(self._w * theme.TAG_WIDTH), rect.height - 3 * pad)
        tag.midleft = (rect.left + pad, rect.centery)
        self._pill(label, theme.SMALL, fill, theme.TEXT, tag)
        right = rect.right - pad
        if removable and line.action is not LineAction.COUNTED:  # a count is recorded at once
            height = max(rect.height - 2 * pad, min(theme.MIN_TOUCH_PX, rect.height))
            remove = pygame.Rect(0, 0, round(self._w * theme.REMOVE_WIDTH), height)
            remove.midright = (right, rect.centery)
            self._button(
                "Remove",
                "remove",
                remove,
                theme.BACKGROUND,
                role=theme.SMALL,
                outline=theme.PANEL_EDGE,
                code=line.code,
            )
            right = remove.left - pad
            if line.action is LineAction.RETURN:
                report = pygame.Rect(0, 0, round(self._w * theme.REMOVE_WIDTH * 1.45), height)
                report.midright = (right, rect.centery)
                problem = line.condition != "ok"
                self._button(
                    "Missing"
                    if line.kit and line.condition == "missing_part"
                    else CONDITION_LABELS.get(line.condition, line.condition),
                    "condition",
                    report,
                    theme.REFUSED_FILL if problem else theme.BACKGROUND,
                    role=theme.SMALL,
                    outline=None if problem else theme.PANEL_EDGE,
                    code=line.code,
                )
                right = report.left - pad
        x = tag.right + 2 * pad
        width = right - pad - x
        name_h = self._line_height(theme.BODY)
        top = rect.centery - (name_h + self._line_height(theme.SMALL)) // 2
        self._text(line.name, theme.BODY, theme.TEXT, (x, top), "topleft", width)
        self._details(self._detail_parts(line), (x, top + name_h), width)

    def _detail_parts(self, line: CartLine) -> list[tuple[str, Colour]]:
        parts: list[tuple[str, Colour]] = []
        if line.code != line.name:  # an unknown label's line is named by its code already
            parts.append((line.code, theme.MUTED))
        if line.action is LineAction.REFUSED:
            parts.append((line.reason or "Not available", theme.WARN))
        elif line.due is not None:
            parts.append((format_due(line.due, self.tz), theme.TEXT))
        return parts

    def _details(self, parts: list[tuple[str, Colour]], at: tuple[int, int], width: int) -> None:
        """Small texts on one line separated by dots; the last one shrinks to fit."""
        x, y = at
        right = x + width
        gap = self._m
        dot = max(2, self._px(1 / 200))
        centre_y = y + self._font(theme.SMALL).get_ascent() * 2 // 3
        for i, (text, colour) in enumerate(parts):
            if right - x < gap * 2:
                break
            if i:
                pygame.draw.circle(self.surface, theme.MUTED, (x + gap // 2, centre_y), dot)
                x += gap
            x = self._text(text, theme.SMALL, colour, (x, y), "topleft", right - x).right

    # screens -------------------------------------------------------------------------------

    def _idle(self, s: IdleScreen) -> None:
        self.surface.fill(theme.BACKGROUND)
        top = self._top_bar(
            s.kiosk_name,
            s.offline,
            [
                (format_clock(s.now, self.tz), theme.TITLE, theme.TEXT),
                (format_day(s.now, self.tz), theme.BODY, theme.MUTED),
            ],
        )
        m = self._m
        bottom = self._h - m
        if s.message:
            bottom = self._message_band(s.message, theme.TEXT, theme.ACCENT, bottom) - m
        if s.offline:
            bottom = (
                self._text(
                    OFFLINE_NOTE, theme.SMALL, theme.WARN, (self._w // 2, bottom), "midbottom"
                ).top
                - m
            )
        head_h = self._line_height(theme.HUGE)
        block = head_h + self._line_height(theme.BODY)
        y = top + max(m, (bottom - top - block) // 2)
        headline, hint = (
            (STATION_HEADLINE, STATION_HINT) if s.station else (IDLE_HEADLINE, IDLE_HINT)
        )
        self._text(headline, theme.HUGE, theme.TEXT, (self._w // 2, y), "midtop")
        self._text(hint, theme.BODY, theme.MUTED, (self._w // 2, y + head_h), "midtop")

    def _cart(self, s: CartScreen) -> None:
        self.surface.fill(theme.BACKGROUND)
        count = len(s.lines)
        right = [(f"{count} item{'' if count == 1 else 's'}", theme.BODY, theme.MUTED)]
        top = self._top_bar(s.person_name, s.offline, right if count else [])
        m = self._m
        buttons: list[tuple[str, str, Colour, Colour | None, int]] = [
            ("Cancel", "cancel", theme.PANEL, theme.PANEL_EDGE, 1)
        ]
        if s.staff:  # staff tools share the row, so every button gets the same width
            buttons.append(("Open door", "unlock", theme.RETURN_FILL, None, 1))
            buttons.append(("Enrol", "enroll", theme.RETURN_FILL, None, 1))
            buttons.append(("Count", "stocktake", theme.RETURN_FILL, None, 1))
        buttons.append(("Confirm", "confirm", theme.CONFIRM_FILL, None, 1 if s.staff else 2))
        bottom = self._footer(buttons) - m
        if s.message:
            bottom = self._message_band(s.message, theme.WARN, theme.WARN, bottom) - m
        if s.lines:
            self._rows(s.lines, top + m, bottom, removable=True)
            return
        if s.loans:
            top = self._loans(s.loans, top + m, bottom)
        width = self._w - 2 * m
        height = self._paragraph_height(EMPTY_CART_HINT, theme.TITLE, width, 2)
        self._paragraph(
            EMPTY_CART_HINT,
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
        m = self._m
        count = len(loans)
        heading = self._text(
            f"You have {count} item{'' if count == 1 else 's'} out",
            theme.BODY,
            theme.MUTED,
            (m, top),
        )
        y = heading.bottom + m // 2
        row_h = max(self._line_height(theme.BODY) + m // 3, theme.MIN_TOUCH_PX + m // 2)
        room = max(1, (bottom - y - self._line_height(theme.TITLE) * 2) // row_h)
        width = self._w - 2 * m
        name_w, due_w = width * 9 // 20, width * 7 // 20
        for loan in loans[:room]:
            colour = theme.WARN if loan.overdue else theme.TEXT
            due = ("OVERDUE · " if loan.overdue else "") + format_due(loan.due, self.tz)
            centre = y + row_h // 2
            self._text(loan.name, theme.BODY, colour, (m, centre), "midleft", name_w - m)
            room_for_due = due_w - m if loan.extendable else width - name_w
            self._text(due, theme.SMALL, colour, (m + name_w, centre), "midleft", room_for_due)
            if loan.extendable:
                button = pygame.Rect(0, 0, width - name_w - due_w, row_h - m // 2)
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
            y += self._line_height(theme.SMALL)
        return y

    def _receipt(self, s: ReceiptScreen) -> None:
        self.surface.fill(theme.BACKGROUND)
        top = self._top_bar(s.person_name, s.offline, [("Receipt", theme.BODY, theme.MUTED)])
        m = self._m
        bottom = self._footer([("Done", "done", theme.DONE_FILL, None, 1)], span=0.5) - m
        heading = self._text("All done", theme.TITLE, theme.GOOD_TEXT, (m, top + m // 2))
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
