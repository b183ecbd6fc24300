"""Book value of an asset on a date, by straight-line or declining-balance depreciation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Method(StrEnum):
    STRAIGHT_LINE = "straight_line"
    DECLINING_BALANCE = "declining_balance"


@dataclass(frozen=True)
class Depreciation:
    method: Method = Method.STRAIGHT_LINE
    life_years: int = 5
    salvage_pct: int = 0  # of the cost, the value left at the end of its life

    def __post_init__(self) -> None:
        if self.life_years < 1:
            raise ValueError("useful life must be at least one year")
        if not 0 <= self.salvage_pct < 100:
            raise ValueError("salvage value is a percentage of cost, 0 to 99")


def _years(acquired: date, on: date) -> Decimal:
    return Decimal((on - acquired).days) / Decimal("365.25")


def book_value(cost: Decimal, acquired: date, on: date, rule: Depreciation) -> Decimal:
    """Value on ``on``: the cost before acquisition day, never below salvage.

    Declining balance uses double the straight-line rate (the common 200 % method), by whole
    and part years, and switches to the salvage floor rather than going under it.
    """
    salvage = (cost * rule.salvage_pct / 100).quantize(CENT, ROUND_HALF_UP)
    if on <= acquired:
        return cost.quantize(CENT, ROUND_HALF_UP)
    years = _years(acquired, on)
    if rule.method is Method.STRAIGHT_LINE:
        lost = (cost - salvage) * min(years, Decimal(rule.life_years)) / rule.life_years
        value = cost - lost
    else:
        rate = Decimal(2) / rule.life_years
        if years >= rule.life_years:
            value = salvage
        else:
            value = cost * (Decimal(1) - rate) ** int(years)
            value *= Decimal(1) - rate * (years - int(years))
    return max(value, salvage).quantize(CENT, ROUND_HALF_UP)
