"""The code and the name beside the QR: the largest type that fits, wrapped or cut short."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from fpdf import FPDF

from hub.labelsheet.fonts import Fonts
from hub.labelsheet.layout import Layout
from hub.labelsheet.stocks import INCH

PT = INCH / 72
_ELLIPSIS = "…"
_CODE_MAX_PT = 20.0
_CODE_MIN_PT = 6.0
_NAME_MAX_PT = 10.0
_NAME_MIN_PT = 5.0  # the least that prints legibly on an office laser printer

Measure: TypeAlias = Callable[[str], float]


@dataclass(frozen=True)
class Block:
    lines: list[str]
    size_pt: float

    @property
    def line_h(self) -> float:
        return 1.15 * self.size_pt * PT

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_h


def draw_text(
    pdf: FPDF, fonts: Fonts, layout: Layout, x: float, y: float, code: str, name: str
) -> None:
    w, h = layout.text_w, layout.text_h
    gap = 0.15 * h if layout.stacked else 0.06 * h

    def code_width(s: str) -> float:
        return fonts.width(pdf, fonts.code_family, fonts.code_style, s)

    def name_width(s: str) -> float:
        return fonts.width(pdf, fonts.name_family, "", s)

    code_cap = min(_CODE_MAX_PT, (0.4 if name else 0.8) * h / (1.15 * PT))
    code_block = fit_text(
        code, code_width, w, h, code_cap, min(_CODE_MIN_PT, code_cap), words=False
    )
    blocks = [(code_block, fonts.code_family, fonts.code_style, code_width)]
    room = h - code_block.height - gap
    if name and room > _NAME_MIN_PT * 1.15 * PT:
        name_cap = min(_NAME_MAX_PT, 0.75 * code_block.size_pt)
        name_block = fit_text(name, name_width, w, room, name_cap, min(_NAME_MIN_PT, name_cap))
        blocks.append((name_block, fonts.name_family, "", name_width))
    else:
        gap = 0.0

    total = sum(b.height for b, *_ in blocks) + (gap if len(blocks) > 1 else 0.0)
    line_top = y + layout.text_y + max(0.0, (h - total) / 2)
    for block, family, style, measure in blocks:
        pdf.set_font(family, style, block.size_pt)
        for line in block.lines:
            left = x + layout.text_x
            if layout.stacked:
                left += max(0.0, (w - measure(line) * block.size_pt) / 2)
            pdf.text(left, line_top + 0.82 * block.size_pt * PT, line)
            line_top += block.line_h
        line_top += gap


def fit_text(
    text: str,
    width_at_1pt: Measure,
    max_w: float,
    max_h: float,
    max_pt: float,
    min_pt: float,
    *,
    words: bool = True,
) -> Block:
    """The largest size, down to ``min_pt``, at which ``text`` fits the box. A name may take
    more lines to be larger; a code stays on one line while it can, as a broken code is easily
    misread. What does not fit even at ``min_pt`` is cut short with an ellipsis."""
    one_line = width_at_1pt(text)
    if one_line <= 0:
        return Block([text], max_pt)
    if not words:
        size = min(max_pt, max_w / one_line, max_h / (1.15 * PT))
        if size >= min_pt:
            return Block([text], size)
    size = max_pt
    while True:
        room = max(1, math.floor(max_h / (1.15 * size * PT)))
        lines = _wrap(text, width_at_1pt, max_w / size, words)
        if len(lines) <= room:
            return Block(lines, size)
        if size <= min_pt:
            kept = lines[:room]
            kept[-1] = _with_ellipsis(kept[-1], width_at_1pt, max_w / size)
            return Block(kept, size)
        size = max(min_pt, size - 0.5)


def _wrap(text: str, width_at_1pt: Measure, limit: float, words: bool) -> list[str]:
    """Greedy line breaking at spaces; a word too long for a line is split where it overflows."""
    pieces = text.split(" ") if words else [text]
    lines: list[str] = []
    line = ""
    for piece in pieces:
        candidate = f"{line} {piece}" if line else piece
        if width_at_1pt(candidate) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in piece:
            if line and width_at_1pt(line + ch) > limit:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines


def _with_ellipsis(line: str, width_at_1pt: Measure, limit: float) -> str:
    cut = line.rstrip()
    while cut and width_at_1pt(cut + _ELLIPSIS) > limit:
        cut = cut[:-1].rstrip()
    return cut + _ELLIPSIS
