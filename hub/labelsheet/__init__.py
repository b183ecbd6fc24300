"""Printable sheets of asset labels: one QR code per label on a standard sheet of label stock.

The QR says what ``wire.labels`` defines (``CK1:<code>``, or the hub's ``/a/<code>`` link), so a
kiosk reads a printed label exactly as it reads any other. The asset code is printed beside it
in large monospace type for a person to read, with the asset's name under it.

Names may be in any script. They are set in DejaVu Sans, found where matplotlib bundles it or
where Debian's fonts-dejavu-core puts it; without it they fall back to a PDF core font, with
what Windows-1252 cannot show printed as "?", so a sheet is still printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from hub.labelsheet.fonts import Fonts
from hub.labelsheet.layout import PRINTED_QUIET_MODULES, QUIET_MODULES, Layout
from hub.labelsheet.qr import QrOnLabel, draw_qr, make_qr, qr_on_label
from hub.labelsheet.stocks import STOCKS, LabelStock, resolve_stock
from hub.labelsheet.text import draw_text
from wire.labels import compact_label, parse_label, url_label

__all__ = [
    "PRINTED_QUIET_MODULES",
    "QUIET_MODULES",
    "STOCKS",
    "Label",
    "LabelStock",
    "QrOnLabel",
    "label_sheet",
    "make_qr",
    "qr_on_label",
    "resolve_stock",
]


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
    fonts = Fonts.install(pdf)
    layout = Layout.of(sheet)

    for i, (code, name, payload) in enumerate(items):
        position = start_at + i
        if i == 0 or position % sheet.per_sheet == 0:
            pdf.add_page()
        x, y = sheet.cell(position)
        draw_qr(pdf, layout, payload, x, y)
        draw_text(pdf, fonts, layout, x, y, code, fonts.printable(name))
    return bytes(pdf.output())


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
