"""The QR code a label carries, drawn as rectangles so it prints sharp at any size."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import segno
from fpdf import FPDF

from hub.labelsheet.layout import Layout
from hub.labelsheet.stocks import LabelStock, resolve_stock


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
    x, y, unit = Layout.of(resolve_stock(stock)).symbol(len(qr.matrix))
    matrix = tuple(tuple(bool(m) for m in row) for row in qr.matrix)
    return QrOnLabel(matrix, x, y, unit)


def draw_qr(pdf: FPDF, layout: Layout, payload: str, x: float, y: float) -> None:
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
