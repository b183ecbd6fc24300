"""Turning data into strings that fit: dates the way a student reads them, and text cut to width.

Day and month names are spelled out here rather than taken from ``strftime`` so a Pi whose
locale is unset (or set to something unexpected) still shows the same words the tests check.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, tzinfo
from typing import Protocol

ELLIPSIS = "\u2026"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Measures(Protocol):
    """The one thing fitting needs from a font, so it can be tested without pygame."""

    def size(self, text: str, /) -> tuple[int, int]: ...


def local(when: datetime, tz: tzinfo | None = None) -> datetime:
    """``when`` in the kiosk's zone: ``tz`` if given, else the Pi's own (/etc/localtime)."""
    return when.astimezone(tz)


def format_clock(when: datetime, tz: tzinfo | None = None) -> str:
    return f"{local(when, tz):%H:%M}"


def format_day(when: datetime, tz: tzinfo | None = None) -> str:
    t = local(when, tz)
    return f"{_DAYS[t.weekday()]} {t.day} {_MONTHS[t.month - 1]}"


def format_due(when: datetime, tz: tzinfo | None = None) -> str:
    """Like "Due Wed 25 Nov 17:00": the weekday matters more to a student than the year."""
    return f"Due {format_day(when, tz)} {format_clock(when, tz)}"


def clean(text: str) -> str:
    """One printable line: SDL_ttf refuses NUL and draws other control characters as boxes."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join("".join(chars).split())


def fit(text: str, font: Measures, width: int) -> str:
    """``text`` itself if it fits in ``width`` pixels, else its longest prefix plus an ellipsis."""
    if font.size(text)[0] <= width:
        return text
    lo, hi = 0, len(text)  # invariant: text[:lo] + ellipsis fits (or lo == 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.size(text[:mid].rstrip() + ELLIPSIS)[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS


def wrap(text: str, font: Measures, width: int, max_lines: int) -> list[str]:
    """Break at spaces into at most ``max_lines`` lines; whatever is left ends in an ellipsis."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and font.size(f"{line} {words[0]}")[0] <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:  # the next word did not fit, so this is always cut and ends in an ellipsis
        lines[-1] = f"{lines[-1]} {' '.join(words)}"
    return [fit(line, font, width) for line in lines]
