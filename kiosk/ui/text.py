"""Turning data into strings that fit: dates in the cage's zone, and text cut to width.

The date words themselves live with the screen models (kiosk.screens), which the session also
uses for its sentences; they are re-exported here for the renderer.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from kiosk.screens import format_clock, format_date, format_day, format_due, local

__all__ = [
    "ELLIPSIS",
    "Measures",
    "clean",
    "fit",
    "format_clock",
    "format_date",
    "format_day",
    "format_due",
    "local",
    "wrap",
]

ELLIPSIS = "\u2026"


class Measures(Protocol):
    """The one thing fitting needs from a font, so it can be tested without pygame."""

    def size(self, text: str, /) -> tuple[int, int]: ...


def clean(text: str) -> str:
    """One printable line: the font renderer refuses NUL and draws other control characters as
    boxes."""
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
