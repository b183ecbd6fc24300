"""Label stocks: the sheets labels come on, from their makers' templates."""

from __future__ import annotations

from dataclasses import dataclass

INCH = 25.4  # mm


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
    top-left corner, and the pitch; in mm, or in inches with ``unit=INCH``."""
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
            unit=INCH,
        ),
        _stock(
            "5163",
            "Avery 5163, US Letter, 10 a sheet, 4 x 2 in",
            _LETTER,
            (2, 5),
            (4.0, 2.0),
            (0.15625, 0.5),
            (4.1875, 2.0),
            unit=INCH,
        ),
        _stock(
            "22806",
            "Avery 22806, US Letter, 12 square a sheet, 2 x 2 in",
            _LETTER,
            (3, 4),
            (2.0, 2.0),
            (0.625, 0.6),
            (2.625, 2.6),
            unit=INCH,
        ),
    )
}


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
