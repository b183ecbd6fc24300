"""The fonts a label is set in: DejaVu where installed, else PDF core fonts."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

# fpdf2 embeds fonts through fontTools, whose subsetter logs each font table it keeps or drops
# at info level: some sixty lines per sheet that say nothing to whoever prints labels.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass
class Fonts:
    code_family: str
    code_style: str
    name_family: str
    unicode: bool
    covered: frozenset[int]
    widths: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    @classmethod
    def install(cls, pdf: FPDF) -> Fonts:
        sans, mono = font_files()
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


@cache
def font_files() -> tuple[Path | None, Path | None]:
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
