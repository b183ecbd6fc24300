"""Printable sheets of asset labels: one QR code per label on a standard sheet of label stock.

The QR says what ``wire.labels`` defines (``CK1:<code>``, or the hub's ``/a/<code>`` link), so a
kiosk reads a printed label exactly as it reads any other. The asset code is printed beside it
in large monospace type for a person to read, with the asset's name under it.

Names may be in any script. They are set in DejaVu Sans, found where matplotlib bundles it or
where Debian's fonts-dejavu-core puts it; without it they fall back to a PDF core font, with
what Windows-1252 cannot show printed as "?", so a sheet is still printed.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeAlias

import segno
from fpdf import FPDF
from fpdf.fonts import TTFFont

from wire.labels import compact_label, parse_label, url_label

# fpdf2 embeds fonts through fontTools, whose subsetter logs each font table it keeps or drops
# at info level: some sixty lines per sheet that say nothing to whoever prints labels.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_INCH = 25.4
_PT = _INCH / 72
# ISO/IEC 18004 asks for four modules of light all round a symbol. The white label's own margin
# counts towards it, so the symbol grows into the margin: four modules to the label's edge and
# to the text, and never fewer than two printed inside the margin, where the die-cut and the
# paper feed (about a millimetre off) cannot eat them. Larger modules are what make a label
# readable from further away (bench.optics).
QUIET_MODULES = 4
PRINTED_QUIET_MODULES = 2
_ELLIPSIS = "…"
_CODE_MAX_PT = 20.0
_CODE_MIN_PT = 6.0
_NAME_MAX_PT = 10.0
_NAME_MIN_PT = 5.0  # the least that prints legibly on an office laser printer

_Measure: TypeAlias = Callable[[str], float]


@dataclass(frozen=True)
class LabelStock:
    """One kind of label sheet, in millimetres from the top-left corner of the page."""

    name: str
    description: str
    page_w_mm: float
    page_h_mm: float
    columns: int
    rows: int
    label_w_mm: float
    label_h_mm: float
    left_mm: float
    top_mm: float
    pitch_x_mm: float
    pitch_y_mm: float

    def __post_init__(self) -> None:
        # A mistyped template prints every label off its die-cut; refuse it up front instead.
        if self.columns < 1 or self.rows < 1:
            raise ValueError(f"label stock {self.name}: needs at least one column and one row")
        if min(self.label_w_mm, self.label_h_mm, self.page_w_mm, self.page_h_mm) <= 0:
            raise ValueError(f"label stock {self.name}: sizes must be positive")
        if self.columns > 1 and self.pitch_x_mm < self.label_w_mm:
            raise ValueError(f"label stock {self.name}: labels overlap across")
        if self.rows > 1 and self.pitch_y_mm < self.label_h_mm:
            raise ValueError(f"label stock {self.name}: labels overlap down")
        right = self.left_mm + (self.columns - 1) * self.pitch_x_mm + self.label_w_mm
        bottom = self.top_mm + (self.rows - 1) * self.pitch_y_mm + self.label_h_mm
        if self.left_mm < 0 or self.top_mm < 0:
            raise ValueError(f"label stock {self.name}: labels start off the page")
        if right > self.page_w_mm + 0.01 or bottom > self.page_h_mm + 0.01:
            raise ValueError(f"label stock {self.name}: labels run off the page")

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def cell(self, position: int) -> tuple[float, float]:
        """Top-left corner, in mm, of the label at ``position`` on a sheet, in reading order."""
        row, column = divmod(position % self.per_sheet, self.columns)
        return self.left_mm + column * self.pitch_x_mm, self.top_mm + row * self.pitch_y_mm


_Pair = tuple[float, float]


def _stock(
    name: str,
    description: str,
    page: _Pair,
    grid: tuple[int, int],
    size: _Pair,
    origin: _Pair,
    pitch: _Pair,
    *,
    unit: float = 1.0,
) -> LabelStock:
    """A stock from its template's figures: page, columns x rows, label size, the first label's
    top-left corner, and the pitch; in mm, or in inches with ``unit=_INCH``."""
    return LabelStock(
        name,
        description,
        page[0] * unit,
        page[1] * unit,
        grid[0],
        grid[1],
        size[0] * unit,
        size[1] * unit,
        origin[0] * unit,
        origin[1] * unit,
        pitch[0] * unit,
        pitch[1] * unit,
    )


_A4 = (210.0, 297.0)
_LETTER = (8.5, 11.0)

# From the manufacturers' published templates. Where a template rounds a margin (Avery prints
# 7.2 mm for L7160's), the value that centres the grid on the page is used instead.
STOCKS: dict[str, LabelStock] = {
    s.name: s
    for s in (
        _stock(
            "L7651",
            "Avery L7651, A4, 65 a sheet, 38.1 x 21.2 mm",
            _A4,
            (5, 13),
            (38.1, 21.2),
            (4.75, 10.7),
            (40.6, 21.2),
        ),
        _stock(
            "L7160",
            "Avery L7160, A4, 21 a sheet, 63.5 x 38.1 mm",
            _A4,
            (3, 7),
            (63.5, 38.1),
            (7.25, 15.15),
            (66.0, 38.1),
        ),
        _stock(
            "L7163",
            "Avery L7163, A4, 14 a sheet, 99.1 x 38.1 mm",
            _A4,
            (2, 7),
            (99.1, 38.1),
            (4.65, 15.15),
            (101.6, 38.1),
        ),
        _stock(
            "5160",
            "Avery 5160, US Letter, 30 a sheet, 2 5/8 x 1 in",
            _LETTER,
            (3, 10),
            (2.625, 1.0),
            (0.1875, 0.5),
            (2.75, 1.0),
            unit=_INCH,
        ),
        _stock(
            "5163",
            "Avery 5163, US Letter, 10 a sheet, 4 x 2 in",
            _LETTER,
            (2, 5),
            (4.0, 2.0),
            (0.15625, 0.5),
            (4.1875, 2.0),
            unit=_INCH,
        ),
        _stock(
            "22806",
            "Avery 22806, US Letter, 12 square a sheet, 2 x 2 in",
            _LETTER,
            (3, 4),
            (2.0, 2.0),
            (0.625, 0.6),
            (2.625, 2.6),
            unit=_INCH,
        ),
    )
}


@dataclass(frozen=True)
class Label:
    code: str
    name: str


def label_sheet(
    labels: Sequence[Label],
    stock: str | LabelStock = "L7160",
    *,
    url_base: str | None = None,
    start_at: int = 0,
) -> bytes:
    """A PDF with one label per asset, filling sheets in reading order.

    ``start_at`` skips that many positions on the first sheet, so a sheet already partly used
    can go through the printer again. With ``url_base`` the QR holds the hub's link to the
    asset, which a phone opens; without, the compact ``CK1:`` form, which fits a smaller QR.
    """
    sheet = resolve_stock(stock)
    if not labels:
        raise ValueError("no labels to print")
    if not 0 <= start_at < sheet.per_sheet:
        raise ValueError(
            f"start_at must be from 0 to {sheet.per_sheet - 1} for {sheet.name} "
            f"({sheet.per_sheet} labels a sheet), not {start_at}"
        )
    items = [_prepare(i, label, url_base) for i, label in enumerate(labels)]

    pdf = FPDF(unit="mm", format=(sheet.page_w_mm, sheet.page_h_mm))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"Asset labels ({sheet.description})")
    pdf.set_creator("Cagekeeper")
    pdf.set_fill_color(0)
    pdf.set_text_color(0)
    fonts = _Fonts.install(pdf)
    layout = _Layout.of(sheet)

    for i, (code, name, payload) in enumerate(items):
        position = start_at + i
        if i == 0 or position % sheet.per_sheet == 0:
            pdf.add_page()
        x, y = sheet.cell(position)
        _draw_qr(pdf, layout, payload, x, y)
        _draw_text(pdf, fonts, layout, x, y, code, fonts.printable(name))
    return bytes(pdf.output())


def resolve_stock(stock: str | LabelStock) -> LabelStock:
    """The stock named, forgiving case and an "Avery" in front ("avery l7160" is L7160)."""
    if isinstance(stock, LabelStock):
        return stock
    key = stock.strip().upper().removeprefix("AVERY").strip()
    found = STOCKS.get(key)
    if found is None:
        known = ", ".join(f"{s.name} ({s.description})" for s in STOCKS.values())
        raise ValueError(f"unknown label stock {stock!r}; known stocks: {known}")
    return found


def _prepare(index: int, label: Label, url_base: str | None) -> tuple[str, str, str]:
    """The canonical code, the name and the QR payload, checked the way a kiosk will read it."""
    try:
        code = parse_label(compact_label(label.code))
    except ValueError:
        raise ValueError(f"label {index + 1}: {label.code!r} is not a valid asset code") from None
    if url_base is None:
        return code, label.name, compact_label(code)
    payload = url_label(url_base, code)
    try:
        readable = parse_label(payload) == code
    except ValueError:
        readable = False
    if not readable:
        raise ValueError(f"url_base {url_base!r} does not make an asset link a kiosk can read")
    return code, label.name, payload


@dataclass(frozen=True)
class _Layout:
    """Where the QR and the text go inside one label, relative to its top-left corner.

    The QR's box runs from the label's edges to the text; ``margin`` is the blank border kept
    free of ink everywhere else."""

    margin: float
    box_w: float
    box_h: float
    text_x: float
    text_y: float
    text_w: float
    text_h: float
    stacked: bool

    @classmethod
    def of(cls, stock: LabelStock) -> _Layout:
        w, h = stock.label_w_mm, stock.label_h_mm
        # Die-cutting and paper feed are off by up to a millimetre or so; keep ink off the edge.
        margin = min(max(0.05 * min(w, h), 1.0), 3.0)
        inner_w, inner_h = w - 2 * margin, h - 2 * margin
        gap = margin / 2
        if w >= 1.6 * h:
            side = min(inner_h, 0.55 * inner_w)
            text_x = margin + side + gap
            return cls(
                margin=margin,
                box_w=text_x,
                box_h=h,
                text_x=text_x,
                text_y=margin,
                text_w=inner_w - side - gap,
                text_h=inner_h,
                stacked=False,
            )
        text_h = 0.3 * inner_h
        side = min(inner_w, inner_h - text_h - gap)
        text_y = margin + side + gap
        return cls(
            margin=margin,
            box_w=w,
            box_h=text_y,
            text_x=margin,
            text_y=text_y,
            text_w=inner_w,
            text_h=inner_h - side - gap,
            stacked=True,
        )

    def symbol(self, modules: int) -> tuple[float, float, float]:
        """The symbol's top-left corner and module size, in mm from the label's corner: the
        largest modules that keep the quiet zone (see ``QUIET_MODULES``)."""
        # Across: the label's edge on both sides (stacked), or its edge and the text.
        across = _unit(self.box_w, modules, self.margin, edges=2 if self.stacked else 1)
        down = _unit(self.box_h, modules, self.margin, edges=1 if self.stacked else 2)
        unit = min(across, down)
        edge_quiet = max(QUIET_MODULES * unit, PRINTED_QUIET_MODULES * unit + self.margin)
        size = modules * unit
        if self.stacked:
            x = (self.box_w - size) / 2
            y = edge_quiet + (self.box_h - edge_quiet - QUIET_MODULES * unit - size) / 2
        else:
            x = edge_quiet + (self.box_w - edge_quiet - QUIET_MODULES * unit - size) / 2
            y = (self.box_h - size) / 2
        return x, y, unit


def _unit(length: float, modules: int, margin: float, edges: int) -> float:
    """The largest module size for which a symbol, its quiet zone to ``edges`` label edges
    (each at least ``PRINTED_QUIET_MODULES`` inside the margin) and, on the other sides, to the
    text fit in ``length`` mm."""
    texts = 2 - edges
    unit = length / (modules + 2 * QUIET_MODULES)
    if QUIET_MODULES * unit >= PRINTED_QUIET_MODULES * unit + margin:
        return unit
    return (length - edges * margin) / (
        modules + edges * PRINTED_QUIET_MODULES + texts * QUIET_MODULES
    )


@dataclass(frozen=True)
class QrOnLabel:
    """A label's QR as printed: its modules and where they are, in mm from the label's corner."""

    matrix: tuple[tuple[bool, ...], ...]
    left_mm: float
    top_mm: float
    module_mm: float


def make_qr(payload: str) -> segno.QRCode:
    """The QR a label carries: the smallest version that holds the payload (a ``CK1:`` code of
    up to 16 characters is version 1, 21 modules), with the error correction raised as far as
    that version allows (Q for such codes), which costs no module size."""
    return segno.make_qr(payload, error="m", boost_error=True)


def qr_on_label(payload: str, stock: str | LabelStock) -> QrOnLabel:
    """Where ``label_sheet`` puts a payload's QR on one label of ``stock``."""
    qr = make_qr(payload)
    x, y, unit = _Layout.of(resolve_stock(stock)).symbol(len(qr.matrix))
    matrix = tuple(tuple(bool(m) for m in row) for row in qr.matrix)
    return QrOnLabel(matrix, x, y, unit)


def _draw_qr(pdf: FPDF, layout: _Layout, payload: str, x: float, y: float) -> None:
    """The QR as filled rectangles, so it prints sharp at any resolution."""
    qr = make_qr(payload)
    sx, sy, unit = layout.symbol(len(qr.matrix))
    left, top = x + sx, y + sy
    for c0, r0, c1, r1 in _dark_blocks(qr.matrix):
        pdf.rect(left + c0 * unit, top + r0 * unit, (c1 - c0) * unit, (r1 - r0) * unit, style="F")


def _dark_blocks(matrix: Sequence[bytearray]) -> Iterator[tuple[int, int, int, int]]:
    """Dark modules as (col0, row0, col1, row1) blocks: runs along a row, merged with the same
    run in the rows below. A QR then takes about a third as many rectangles as it has dark
    modules, which keeps the PDF small and quick to write."""
    open_runs: dict[tuple[int, int], int] = {}
    for r, row in enumerate(matrix):
        runs = set(_runs(row))
        for run in [run for run in open_runs if run not in runs]:
            yield run[0], open_runs.pop(run), run[1], r
        for run in runs:
            open_runs.setdefault(run, r)
    for run, top in open_runs.items():
        yield run[0], top, run[1], len(matrix)


def _runs(row: bytearray) -> Iterator[tuple[int, int]]:
    start = -1
    for c, dark in enumerate(row):
        if dark and start < 0:
            start = c
        elif not dark and start >= 0:
            yield start, c
            start = -1
    if start >= 0:
        yield start, len(row)


@dataclass
class _Fonts:
    code_family: str
    code_style: str
    name_family: str
    unicode: bool
    covered: frozenset[int]
    widths: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    @classmethod
    def install(cls, pdf: FPDF) -> _Fonts:
        sans, mono = _font_files()
        covered: frozenset[int] = frozenset()
        if sans is not None:
            pdf.add_font("LabelSans", "", sans)
            name_family, unicode = "LabelSans", True
            font = pdf.fonts["labelsans"]
            if isinstance(font, TTFFont):
                covered = frozenset(font.cmap)
        else:
            pdf.core_fonts_encoding = "windows-1252"
            name_family, unicode = "Helvetica", False
        if mono is not None:
            pdf.add_font("LabelMono", "", mono)
            code_family, code_style = "LabelMono", ""
        else:
            code_family, code_style = "Courier", "B"
        return cls(code_family, code_style, name_family, unicode, covered)

    def printable(self, name: str) -> str:
        """The name on one line, with "?" for what the font cannot draw: a blank would hide
        that part of the name, and with no width it would also upset the fitting."""
        flat = " ".join(name.split())
        if not self.unicode:
            return flat.encode("cp1252", errors="replace").decode("cp1252")
        if not self.covered:
            return flat
        return "".join(ch if ord(ch) in self.covered else "?" for ch in flat)

    def width(self, pdf: FPDF, family: str, style: str, text: str) -> float:
        """Width in mm at 1 pt. fpdf2 sets text without kerning, so the characters' widths
        add up; measuring each character once keeps a thousand labels quick."""
        total = 0.0
        for ch in text:
            w = self.widths.get((family, ch))
            if w is None:
                pdf.set_font(family, style, 1)
                w = self.widths[(family, ch)] = pdf.get_string_width(ch)
            total += w
        return total


@dataclass(frozen=True)
class _Block:
    lines: list[str]
    size_pt: float

    @property
    def line_h(self) -> float:
        return 1.15 * self.size_pt * _PT

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_h


def _draw_text(
    pdf: FPDF, fonts: _Fonts, layout: _Layout, x: float, y: float, code: str, name: str
) -> None:
    w, h = layout.text_w, layout.text_h
    gap = 0.15 * h if layout.stacked else 0.06 * h

    def code_width(s: str) -> float:
        return fonts.width(pdf, fonts.code_family, fonts.code_style, s)

    def name_width(s: str) -> float:
        return fonts.width(pdf, fonts.name_family, "", s)

    code_cap = min(_CODE_MAX_PT, (0.4 if name else 0.8) * h / (1.15 * _PT))
    code_block = _fit(code, code_width, w, h, code_cap, min(_CODE_MIN_PT, code_cap), words=False)
    blocks = [(code_block, fonts.code_family, fonts.code_style, code_width)]
    room = h - code_block.height - gap
    if name and room > _NAME_MIN_PT * 1.15 * _PT:
        name_cap = min(_NAME_MAX_PT, 0.75 * code_block.size_pt)
        name_block = _fit(name, name_width, w, room, name_cap, min(_NAME_MIN_PT, name_cap))
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
            pdf.text(left, line_top + 0.82 * block.size_pt * _PT, line)
            line_top += block.line_h
        line_top += gap


def _fit(
    text: str,
    width_at_1pt: _Measure,
    max_w: float,
    max_h: float,
    max_pt: float,
    min_pt: float,
    *,
    words: bool = True,
) -> _Block:
    """The largest size, down to ``min_pt``, at which ``text`` fits the box. A name may take
    more lines to be larger; a code stays on one line while it can, as a broken code is easily
    misread. What does not fit even at ``min_pt`` is cut short with an ellipsis."""
    one_line = width_at_1pt(text)
    if one_line <= 0:
        return _Block([text], max_pt)
    if not words:
        size = min(max_pt, max_w / one_line, max_h / (1.15 * _PT))
        if size >= min_pt:
            return _Block([text], size)
    size = max_pt
    while True:
        room = max(1, math.floor(max_h / (1.15 * size * _PT)))
        lines = _wrap(text, width_at_1pt, max_w / size, words)
        if len(lines) <= room:
            return _Block(lines, size)
        if size <= min_pt:
            kept = lines[:room]
            kept[-1] = _with_ellipsis(kept[-1], width_at_1pt, max_w / size)
            return _Block(kept, size)
        size = max(min_pt, size - 0.5)


def _wrap(text: str, width_at_1pt: _Measure, limit: float, words: bool) -> list[str]:
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


def _with_ellipsis(line: str, width_at_1pt: _Measure, limit: float) -> str:
    cut = line.rstrip()
    while cut and width_at_1pt(cut + _ELLIPSIS) > limit:
        cut = cut[:-1].rstrip()
    return cut + _ELLIPSIS


@cache
def _font_files() -> tuple[Path | None, Path | None]:
    """DejaVu Sans for names and DejaVu Sans Mono Bold for codes, where installed."""
    folders: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p, "mpl-data", "fonts", "ttf") for p in spec.submodule_search_locations]
    # The XDG base directory default, where Debian's fonts-dejavu-core installs.
    data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    folders += [Path(d, "fonts", "truetype", "dejavu") for d in data_dirs.split(":") if d]

    def find(name: str) -> Path | None:
        return next((f / name for f in folders if (f / name).is_file()), None)

    return find("DejaVuSans.ttf"), find("DejaVuSansMono-Bold.ttf")
