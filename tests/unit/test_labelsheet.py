"""Label sheets as a printer gets them: the PDF is rendered to pixels by PDFium and every QR is
read back with the real pyzbar, then checked against the stock's geometry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
import pytest
import segno
from numpy.typing import NDArray
from pyzbar.pyzbar import ZBarSymbol, decode

from hub import labelsheet
from hub.labelsheet import STOCKS, Label, LabelStock, label_sheet, resolve_stock
from wire.labels import compact_label, url_label

DPI = 200  # a module of the smallest label's QR is four pixels at this resolution
MM = 25.4 / DPI
HUB = "https://cage.example.org"

NAMES = [
    "50 mm lens",
    "Canon EOS R5 body with battery grip, two batteries and the long strap",
    "Zoë's Кинокамера Ωmega — 東京 カメラ 🎥 عدسة",
    "Tripod",
]


@dataclass(frozen=True)
class Page:
    pixels: NDArray[np.uint8]
    text: str
    char_boxes: list[tuple[float, float, float, float]]  # left, top, right, bottom in mm


@dataclass(frozen=True)
class Read:
    """A QR that pyzbar read, with its symbol's bounds in mm from the page's top-left."""

    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def render(pdf: bytes) -> list[Page]:
    doc = pdfium.PdfDocument(pdf)
    pages: list[Page] = []
    try:
        for page in doc:
            gray = page.render(scale=DPI / 72).to_pil().convert("L")
            height_pt = page.get_size()[1]
            textpage = page.get_textpage()
            boxes = []
            for i in range(textpage.count_chars()):
                left, bottom, right, top = textpage.get_charbox(i)
                if right > left and top > bottom:
                    pt = 25.4 / 72
                    boxes.append(
                        (left * pt, (height_pt - top) * pt, right * pt, (height_pt - bottom) * pt)
                    )
            pages.append(Page(np.asarray(gray), textpage.get_text_range(), boxes))
    finally:
        doc.close()
    return pages


def read_qrs(pages: list[Page]) -> list[Read]:
    found: list[Read] = []
    for n, page in enumerate(pages):
        for symbol in decode(page.pixels, symbols=[ZBarSymbol.QRCODE]):
            xs = [p.x for p in symbol.polygon]
            ys = [p.y for p in symbol.polygon]
            found.append(
                Read(
                    page=n,
                    text=symbol.data.decode(),
                    left=min(xs) * MM,
                    top=min(ys) * MM,
                    right=(max(xs) + 1) * MM,
                    bottom=(max(ys) + 1) * MM,
                )
            )
    return found


def slot_of(stock: LabelStock, x: float, y: float) -> int:
    """The position on the sheet whose label contains the point, or -1 for none."""
    col = int((x - stock.left_mm) // stock.pitch_x_mm)
    row = int((y - stock.top_mm) // stock.pitch_y_mm)
    if not (0 <= col < stock.columns and 0 <= row < stock.rows):
        return -1
    left, top = stock.cell(row * stock.columns + col)
    inside = left <= x <= left + stock.label_w_mm and top <= y <= top + stock.label_h_mm
    return row * stock.columns + col if inside else -1


def assert_on_its_label(stock: LabelStock, page: Page, r: Read) -> int:
    """The symbol and its quiet zone of four modules lie on one label (the label's blank
    margin counts towards it), at least two modules of it printed inside the margin, and the
    quiet zone is blank paper. Returns the label's position on the sheet."""
    slot = slot_of(stock, (r.left + r.right) / 2, (r.top + r.bottom) / 2)
    assert slot >= 0, f"{r.text} is not on any label"
    modules = len(segno.make_qr(r.text, error="m", boost_error=True).matrix)
    unit = (r.right - r.left) / modules
    quiet = labelsheet.QUIET_MODULES * unit
    outer = (r.left - quiet, r.top - quiet, r.right + quiet, r.bottom + quiet)
    x, y = stock.cell(slot)
    w, h = stock.label_w_mm, stock.label_h_mm
    slack = 0.3  # a decoded corner may be a pixel or two out
    assert x - slack <= outer[0] and outer[2] <= x + w + slack, r
    assert y - slack <= outer[1] and outer[3] <= y + h + slack, r
    margin = min(max(0.05 * min(w, h), 1.0), 3.0)
    printed = labelsheet.PRINTED_QUIET_MODULES * unit + margin - slack
    assert min(r.left - x, r.top - y, x + w - r.right, y + h - r.bottom) >= printed, r

    # The quiet zone reaches the text and the label's edge, so allow the decoded bounds' pixel
    # or two of error there.
    x0, y0, x1, y1 = (round(v / MM) for v in outer)
    x0, y0, x1, y1 = max(0, x0 + 2), max(0, y0 + 2), x1 - 2, y1 - 2
    ring = page.pixels[y0:y1, x0:x1].copy()
    ix0, iy0 = round(r.left / MM) - x0 - 2, round(r.top / MM) - y0 - 2
    ix1, iy1 = round(r.right / MM) - x0 + 1, round(r.bottom / MM) - y0 + 1
    ring[iy0:iy1, ix0:ix1] = 255
    assert ring.min() > 160, f"ink in the quiet zone of {r.text}"
    return slot


def assert_text_stays_on_labels(stock: LabelStock, pages: list[Page]) -> None:
    slack = 0.3
    for page in pages:
        for left, top, right, bottom in page.char_boxes:
            slot = slot_of(stock, (left + right) / 2, (top + bottom) / 2)
            assert slot >= 0, f"text off the labels at ({left:.1f}, {top:.1f}) mm"
            x, y = stock.cell(slot)
            assert x - slack <= left and right <= x + stock.label_w_mm + slack
            assert y - slack <= top and bottom <= y + stock.label_h_mm + slack


def assets(n: int) -> list[Label]:
    return [Label(f"LAB-{i:05d}", NAMES[i % len(NAMES)]) for i in range(n)]


# The module size each stock gets for a compact label (version 1, 21 modules): what sets how far
# off a camera reads it (bench.optics).
MODULE_MM = {
    "L7651": 0.713,
    "5160": 0.854,
    "L7160": 1.231,
    "22806": 1.185,
    "L7163": 1.281,
    "5163": 1.708,
}


@pytest.mark.parametrize("name", sorted(STOCKS))
def test_each_stock_prints_a_version_1_qr_as_large_as_its_quiet_zone_allows(name: str) -> None:
    # "CK1:" and a code of up to 16 characters is version 1; error correction as high as fits
    for code, level in (("CAM-1", "H"), ("LAB-00001", "Q"), ("ABCDEFGHIJ-0123", "M")):
        qr = segno.make_qr(compact_label(code), error="m", boost_error=True)
        assert (qr.version, qr.error, qr.mode) == (1, level, "alphanumeric")
        placed = labelsheet.qr_on_label(compact_label(code), name)
        assert len(placed.matrix) == 21
        assert placed.module_mm == pytest.approx(MODULE_MM[name], abs=0.001)
    # A link to the hub's asset page is longer, so its modules are smaller.
    link = labelsheet.qr_on_label(url_label(HUB, "CAM-0001"), name)
    assert len(link.matrix) > 21 and link.module_mm < MODULE_MM[name]


def test_the_stocks_match_their_templates() -> None:
    expected = {
        "L7651": (210, 297, 65, 38.1, 21.2),
        "L7160": (210, 297, 21, 63.5, 38.1),
        "L7163": (210, 297, 14, 99.1, 38.1),
        "5160": (215.9, 279.4, 30, 66.675, 25.4),
        "5163": (215.9, 279.4, 10, 101.6, 50.8),
        "22806": (215.9, 279.4, 12, 50.8, 50.8),
    }
    assert expected.keys() <= STOCKS.keys()
    for name, (page_w, page_h, count, label_w, label_h) in expected.items():
        s = STOCKS[name]
        assert (s.page_w_mm, s.page_h_mm) == pytest.approx((page_w, page_h))
        assert s.per_sheet == count
        assert (s.label_w_mm, s.label_h_mm) == pytest.approx((label_w, label_h))
        right = s.left_mm + (s.columns - 1) * s.pitch_x_mm + s.label_w_mm
        bottom = s.top_mm + (s.rows - 1) * s.pitch_y_mm + s.label_h_mm
        # Avery's sheets put their grids in the middle of the page.
        assert s.page_w_mm - right == pytest.approx(s.left_mm, abs=0.01), name
        assert s.page_h_mm - bottom == pytest.approx(s.top_mm, abs=0.01), name


@pytest.mark.parametrize("name", sorted(STOCKS))
def test_every_label_reads_back_on_its_own_label(name: str) -> None:
    stock = STOCKS[name]
    labels = assets(stock.per_sheet + 2)
    pages = render(label_sheet(labels, name))
    reads = read_qrs(pages)

    assert len(pages) == 2
    assert sorted(r.text for r in reads) == sorted(compact_label(a.code) for a in labels)
    for r in reads:
        slot = assert_on_its_label(stock, pages[r.page], r)
        assert r.text == compact_label(labels[r.page * stock.per_sheet + slot].code)
        # L7651 is 21.2 mm tall: with its quiet zone, the symbol is 15 mm (0.71 mm modules).
        assert r.right - r.left >= (14.5 if name == "L7651" else 17.5), r
    assert_text_stays_on_labels(stock, pages)
    for i, label in enumerate(labels):
        assert label.code in pages[i // stock.per_sheet].text


@pytest.mark.parametrize("name", ["L7651", "L7160"])
def test_with_a_hub_address_the_qr_is_the_assets_link(name: str) -> None:
    stock = STOCKS[name]
    labels = assets(stock.columns + 1)
    pages = render(label_sheet(labels, name, url_base=HUB + "/"))
    reads = read_qrs(pages)

    assert sorted(r.text for r in reads) == sorted(url_label(HUB, a.code) for a in labels)
    for r in reads:
        slot = assert_on_its_label(stock, pages[r.page], r)
        assert r.text == f"{HUB}/a/{labels[slot].code}"


def test_thirty_labels_take_one_sheet_of_either_stock_and_one_more_starts_a_5160_sheet() -> None:
    def pages(n: int, stock: str, start_at: int = 0) -> int:
        doc = pdfium.PdfDocument(label_sheet(assets(n), stock, start_at=start_at))
        try:
            return len(doc)
        finally:
            doc.close()

    assert pages(30, "L7651") == 1
    assert pages(30, "5160") == 1
    assert pages(31, "5160") == 2
    assert pages(31, "L7651") == 1
    assert pages(30, "5160", start_at=1) == 2
    assert pages(66, "L7651") == 2


def test_start_at_leaves_the_used_labels_of_the_first_sheet_blank() -> None:
    stock = STOCKS["L7160"]
    labels = assets(5)
    pages = render(label_sheet(labels, stock, start_at=19))
    reads = read_qrs(pages)

    placed = {
        (r.page, assert_on_its_label(stock, pages[r.page], r)): r.text
        for r in sorted(reads, key=lambda r: (r.page, r.top, r.left))
    }
    assert placed == {
        (0, 19): "CK1:LAB-00000",
        (0, 20): "CK1:LAB-00001",
        (1, 0): "CK1:LAB-00002",
        (1, 1): "CK1:LAB-00003",
        (1, 2): "CK1:LAB-00004",
    }
    assert "LAB-00000" in pages[0].text and "LAB-00002" not in pages[0].text


def test_a_long_name_in_any_script_is_shrunk_and_cut_short_without_failing() -> None:
    name = " ".join(["Zoë's Кинокамера Ωmega Łódź 東京カメラ 🎥 عدسة ביתא"] * 20)
    for stock in ("L7651", "22806", "5163"):
        labels = [Label("CAM-0001", name), Label("CAM-0002", "Tripod")]
        pages = render(label_sheet(labels, stock))
        assert sorted(r.text for r in read_qrs(pages)) == ["CK1:CAM-0001", "CK1:CAM-0002"]
        assert "…" in pages[0].text or "..." in pages[0].text  # PDFium spells out an ellipsis
        assert "Tripod" in pages[0].text
        assert_text_stays_on_labels(STOCKS[stock], pages)


def test_without_dejavu_names_fall_back_to_a_core_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labelsheet.fonts, "font_files", lambda: (None, None))
    labels = [Label("CAM-0001", "Zoë's Кинокамера 東京 🎥"), Label("CAM-0002", "Tripod")]
    pages = render(label_sheet(labels, "5163"))

    assert sorted(r.text for r in read_qrs(pages)) == ["CK1:CAM-0001", "CK1:CAM-0002"]
    assert "Zoë's ?????????? ?? ?" in pages[0].text
    assert "CAM-0001" in pages[0].text
    assert_text_stays_on_labels(STOCKS["5163"], pages)


def test_a_lower_case_code_is_printed_as_the_kiosk_reads_it() -> None:
    pages = render(label_sheet([Label("cam-7", "Camera")], "5163"))
    assert [r.text for r in read_qrs(pages)] == ["CK1:CAM-7"]
    assert "CAM-7" in pages[0].text


def test_stock_names_are_forgiving_and_an_unknown_one_lists_the_known_ones() -> None:
    assert resolve_stock("avery l7160") is STOCKS["L7160"]
    assert resolve_stock(" 5160 ") is STOCKS["5160"]
    with pytest.raises(ValueError, match="unknown label stock 'L9999'") as refused:
        label_sheet(assets(1), "L9999")
    for known in STOCKS:
        assert known in str(refused.value)


@pytest.mark.parametrize(
    ("labels", "start_at", "url_base", "message"),
    [
        ([], 0, None, "no labels"),
        (assets(1), 21, None, "start_at must be from 0 to 20"),
        (assets(1), -1, None, "start_at must be from 0 to 20"),
        ([Label("bad code!", "x")], 0, None, "label 1: 'bad code!' is not a valid asset code"),
        (assets(1), 0, "ftp://hub", "does not make an asset link"),
    ],
)
def test_what_cannot_be_printed_is_refused_clearly(
    labels: list[Label], start_at: int, url_base: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        label_sheet(labels, "L7160", start_at=start_at, url_base=url_base)


def test_a_stock_that_runs_off_its_page_is_refused() -> None:
    with pytest.raises(ValueError, match="run off the page"):
        LabelStock("X", "too wide", 210, 297, 3, 1, 80, 30, 10, 10, 82, 30)
