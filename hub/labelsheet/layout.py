"""Where the QR code and the text go inside one label."""

from __future__ import annotations

from dataclasses import dataclass

from hub.labelsheet.stocks import LabelStock

# ISO/IEC 18004 asks for four modules of light all round a symbol. The white label's own margin
# counts towards it, so the symbol grows into the margin: four modules to the label's edge and
# to the text, and never fewer than two printed inside the margin, where the die-cut and the
# paper feed (about a millimetre off) cannot eat them. Larger modules are what make a label
# readable from further away (bench.optics).
QUIET_MODULES = 4
PRINTED_QUIET_MODULES = 2


@dataclass(frozen=True)
class Layout:
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
    def of(cls, stock: LabelStock) -> Layout:
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
