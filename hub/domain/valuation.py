"""Book value of an asset on a date, by straight-line or declining-balance depreciation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction


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


# as a ratio of integers, so that straight-line values are exact
DAYS_PER_YEAR = Fraction(1461, 4)


def _half_up(num: int, den: int) -> int:
    """``num / den`` rounded to the nearest integer, halves away from zero (``den`` > 0)."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def value_cents(cost: int, days: int, rule: Depreciation) -> int:
    """Book value in cents of an item that cost ``cost`` cents, ``days`` after acquisition.

    Straight-line values are computed exactly in integers and rounded once, so a total over a
    hundred thousand items costs little and equals the sum of the values listed one by one.
    """
    salvage = _half_up(cost * rule.salvage_pct, 100)
    if days <= 0:
        return cost
    if rule.method is Method.STRAIGHT_LINE:
        life = DAYS_PER_YEAR.numerator * rule.life_years
        used = min(days * DAYS_PER_YEAR.denominator, life)
        return max(_half_up(cost * life - (cost - salvage) * used, life), salvage)
    years = Decimal(days) / Decimal("365.25")
    rate = Decimal(2) / rule.life_years
    if years >= rule.life_years:
        return salvage
    whole = int(years)
    # 0 ** 0 is undefined for Decimal: at a life of two years the rate is 100 %
    value = Decimal(cost) * ((Decimal(1) - rate) ** whole if whole else Decimal(1))
    value *= Decimal(1) - rate * (years - whole)
    return max(int(value.quantize(Decimal(1), ROUND_HALF_UP)), salvage)


def book_value(cost: Decimal, acquired: date, on: date, rule: Depreciation) -> Decimal:
    """Value on ``on``: the cost before acquisition day, never below salvage.

    Declining balance uses double the straight-line rate (the common 200 % method), by whole
    and part years, and switches to the salvage floor rather than going under it.
    """
    cents = int((cost * 100).quantize(Decimal(1), ROUND_HALF_UP))
    return Decimal(value_cents(cents, (on - acquired).days, rule)).scaleb(-2)
